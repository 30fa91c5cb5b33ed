import LatheCore
