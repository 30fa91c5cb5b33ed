#ifndef LATHE_NCURSES_SHIM_H
#define LATHE_NCURSES_SHIM_H
// Wide-character API must be switched on before curses.h, or wide glyphs vanish.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/curses.h>

// Swift 6 cannot import curses macros or mutable globals; wrap them here.
static inline WINDOW *lathe_stdscr(void) { return stdscr; }
static inline int lathe_lines(void) { return LINES; }
static inline int lathe_cols(void) { return COLS; }
static inline int lathe_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int lathe_key_resize(void) { return KEY_RESIZE; }
static inline int lathe_key_mouse(void) { return KEY_MOUSE; }
static inline int lathe_key_f(int n) { return KEY_F(n); }
static inline unsigned int lathe_a_bold(void) { return A_BOLD; }
static inline unsigned int lathe_a_reverse(void) { return A_REVERSE; }
static inline unsigned int lathe_a_underline(void) { return A_UNDERLINE; }
static inline unsigned int lathe_a_dim(void) { return A_DIM; }
static inline unsigned int lathe_a_normal(void) { return A_NORMAL; }
static inline void lathe_getmaxyx(WINDOW *w, int *y, int *x) { int yy, xx; getmaxyx(w, yy, xx); *y = yy; *x = xx; }
#endif
