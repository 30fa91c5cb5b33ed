#ifndef LATHE_NCURSES_SHIM_H
#define LATHE_NCURSES_SHIM_H
// Wide-character API must be switched on before curses.h, or wide glyphs vanish.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>
#include <ncursesw/curses.h>

// Swift 6 cannot import curses macros or mutable globals; wrap them here.
static inline WINDOW *lathe_stdscr(void) { return stdscr; }
static inline WINDOW *lathe_curscr(void) { return curscr; }
static inline int lathe_lines(void) { return LINES; }
static inline int lathe_cols(void) { return COLS; }
static inline int lathe_colors(void) { return COLORS; }
static inline int lathe_color_pairs(void) { return COLOR_PAIRS; }
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

/// newterm on the process's stdout/stdin (whose globals Swift 6 cannot touch); NULL when
/// TERM names no terminfo entry (initscr would exit the process instead).
static inline SCREEN *lathe_newterm(void) { return newterm(NULL, stdout, stdin); }

/// Column width of a wide character in the current locale (-1 when unprintable).
static inline int lathe_wcwidth(int c) { return wcwidth((wchar_t)c); }

/// A pipe whose both ends are non-blocking and close-on-exec; 0 on success.
static inline int lathe_pipe(int fds[2]) {
    if (pipe(fds) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

/// 1 when the active LC_CTYPE encodes text as UTF-8 (call after setlocale).
static inline int lathe_locale_is_utf8(void) {
    const char *cs = nl_langinfo(CODESET);
    return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0 || strcmp(cs, "utf-8") == 0);
}

/// A terminfo string capability, or NULL when the terminal lacks it.
static inline const char *lathe_tigetstr(const char *name) {
    char *s = tigetstr((char *)name);
    return (s == NULL || s == (char *)-1) ? NULL : s;
}

/// Writes one cell: a spacing character plus its combining characters (NUL-terminated),
/// with attributes and an extended colour pair (pair numbers may exceed 32767).
static inline int lathe_put_cell(int y, int x, const wchar_t *wch, unsigned int attrs, int pair) {
    cchar_t cc;
    if (setcchar(&cc, wch, (attr_t)attrs, 0, &pair) == ERR) return ERR;
    return mvwadd_wch(stdscr, y, x, &cc);
}

/// Paints cleared areas (after a resize) with the given pair.
static inline void lathe_set_background(int pair) {
    cchar_t cc;
    wchar_t blank[2] = { L' ', 0 };
    if (setcchar(&cc, blank, 0, 0, &pair) != ERR) wbkgrndset(stdscr, &cc);
}

// ---- Mouse: the BUTTONn_* masks are function-like macros Swift cannot import.
static inline mmask_t lathe_mouse_mask_wanted(void) {
    return BUTTON1_PRESSED | BUTTON1_RELEASED | BUTTON2_PRESSED | BUTTON3_PRESSED
         | BUTTON4_PRESSED | BUTTON5_PRESSED | BUTTON_SHIFT | BUTTON_CTRL | BUTTON_ALT;
}
/// 1 left press, 2 middle press, 3 right press, 4 wheel up, 5 wheel down, 6 left release, 0 other.
static inline int lathe_mouse_kind(mmask_t b) {
    if (b & BUTTON4_PRESSED) return 4;
    if (b & BUTTON5_PRESSED) return 5;
    if (b & BUTTON1_PRESSED) return 1;
    if (b & BUTTON2_PRESSED) return 2;
    if (b & BUTTON3_PRESSED) return 3;
    if (b & BUTTON1_RELEASED) return 6;
    return 0;
}
/// Bit 1 shift, bit 2 alt, bit 4 control.
static inline int lathe_mouse_modifiers(mmask_t b) {
    return ((b & BUTTON_SHIFT) ? 1 : 0) | ((b & BUTTON_ALT) ? 2 : 0) | ((b & BUTTON_CTRL) ? 4 : 0);
}

// ---- Terminal restoration from signal handlers and atexit.
//
// Choice (documented for reviewers): handlers never call curses. SIGINT, SIGTERM and SIGHUP
// write their number to a self-pipe that the UI thread polls; the UI thread then calls endwin
// and exits with 128+signal. A second such signal (the UI thread is stuck) and every crash
// signal restore the terminal with async-signal-safe calls only: write(2) of the terminfo
// reset strings captured at start-up (sgr0, cnorm, rmkx, mouse off, rmcup) and tcsetattr(3)
// of the termios saved before curses started. Crash handlers then hand the signal to the
// previous handler (Swift's backtracer or the default action).
//
// The state below is `static`: Swift may emit one copy per object file that uses these
// functions, so every call into this section must come from one Swift file
// (Terminal/Curses/TerminalRestorer.swift).

// All state lives in one function-local static: Swift's importer does not emit file-scope
// static aggregates from headers, but it does emit the functions that own them.
struct lathe_restore_state {
    struct termios saved_termios;
    volatile sig_atomic_t saved_termios_valid;
    char reset_sequence[1024];
    volatile sig_atomic_t reset_length;
    volatile sig_atomic_t armed;
    volatile sig_atomic_t interrupt_count;
    int signal_pipe_write;
    int atexit_registered;
    struct sigaction previous_actions[65];
};

static inline struct lathe_restore_state *lathe_restore_state(void) {
    static struct lathe_restore_state state;
    return &state;
}

static inline void lathe_emergency_restore(void) {
    struct lathe_restore_state *st = lathe_restore_state();
    if (!st->armed) return;
    st->armed = 0;
    if (st->reset_length > 0) {
        ssize_t ignored = write(STDOUT_FILENO, st->reset_sequence, (size_t)st->reset_length);
        (void)ignored;
    }
    if (st->saved_termios_valid) tcsetattr(STDIN_FILENO, TCSANOW, &st->saved_termios);
}

static void lathe_on_interrupt(int sig) {
    struct lathe_restore_state *st = lathe_restore_state();
    int saved_errno = errno;
    if (st->interrupt_count++ == 0 && st->signal_pipe_write >= 0) {
        unsigned char byte = (unsigned char)sig;
        ssize_t ignored = write(st->signal_pipe_write, &byte, 1);
        (void)ignored;
    } else {
        lathe_emergency_restore();
        _exit(128 + sig);
    }
    errno = saved_errno;
}

static void lathe_on_crash(int sig, siginfo_t *info, void *context) {
    (void)context;
    lathe_emergency_restore();
    if (sig > 0 && sig < 65) sigaction(sig, &lathe_restore_state()->previous_actions[sig], NULL);
    // Sent by kill/raise/abort: deliver it again to the previous handler on return.
    // A hardware fault re-executes the faulting instruction on return instead.
    if (info == NULL || info->si_code <= 0) raise(sig);
}

static void lathe_atexit_restore(void) { lathe_emergency_restore(); }

/// Saves the terminal's modes; call before curses changes them.
static inline void lathe_save_termios(void) {
    struct lathe_restore_state *st = lathe_restore_state();
    st->saved_termios_valid = tcgetattr(STDIN_FILENO, &st->saved_termios) == 0;
}

/// Installs the interrupt and crash handlers (before newterm, so ncurses keeps its hands
/// off SIGINT/SIGTERM) and the atexit hook.
static inline void lathe_install_signal_handlers(int signal_pipe_write) {
    struct lathe_restore_state *st = lathe_restore_state();
    st->signal_pipe_write = signal_pipe_write;
    st->interrupt_count = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = lathe_on_interrupt;
    int interrupts[] = { SIGINT, SIGTERM, SIGHUP };
    for (unsigned i = 0; i < sizeof interrupts / sizeof interrupts[0]; i++)
        sigaction(interrupts[i], &sa, &st->previous_actions[interrupts[i]]);
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = lathe_on_crash;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    int crashes[] = { SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGQUIT };
    for (unsigned i = 0; i < sizeof crashes / sizeof crashes[0]; i++)
        sigaction(crashes[i], &sa, &st->previous_actions[crashes[i]]);
    if (!st->atexit_registered) {
        st->atexit_registered = 1;
        atexit(lathe_atexit_restore);
    }
}

/// Puts back the handlers that were there before `lathe_install_signal_handlers`.
static inline void lathe_uninstall_signal_handlers(void) {
    struct lathe_restore_state *st = lathe_restore_state();
    int all[] = { SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGQUIT };
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
        sigaction(all[i], &st->previous_actions[all[i]], NULL);
    st->signal_pipe_write = -1;
}

/// Arms emergency restoration with the bytes that undo full-screen mode.
static inline void lathe_arm_restore(const char *bytes, int length) {
    struct lathe_restore_state *st = lathe_restore_state();
    st->armed = 0;
    if (length < 0) length = 0;
    if (length > (int)sizeof st->reset_sequence) length = (int)sizeof st->reset_sequence;
    if (length > 0) memcpy(st->reset_sequence, bytes, (size_t)length);
    st->reset_length = length;
    st->armed = 1;
}

/// Normal shutdown went through endwin: nothing left for the handlers to undo.
static inline void lathe_disarm_restore(void) { lathe_restore_state()->armed = 0; }

/// 1 while an emergency restore would do something (for tests).
static inline int lathe_restore_is_armed(void) { return lathe_restore_state()->armed ? 1 : 0; }

/// Restores now if armed (for tests of the emergency path).
static inline void lathe_restore_now(void) { lathe_emergency_restore(); }
#endif
