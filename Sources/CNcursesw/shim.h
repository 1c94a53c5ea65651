#ifndef UNROLL_CNCURSESW_SHIM_H
#define UNROLL_CNCURSESW_SHIM_H
// The wide-character API (add_wch, cchar_t, get_wch) is only declared with _XOPEN_SOURCE_EXTENDED.
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <ncursesw/curses.h>

// ---------------------------------------------------------------------------
// Function-like macros and macro-wrapped variables that Swift cannot import.
// ---------------------------------------------------------------------------

static inline int unroll_key_f(int n) { return KEY_F(n); }
static inline int unroll_key_f0(void) { return KEY_F0; }
static inline int unroll_colors(void) { return COLORS; }
static inline int unroll_color_pairs(void) { return COLOR_PAIRS; }
static inline WINDOW *unroll_stdscr(void) { return stdscr; }

static inline attr_t unroll_a_normal(void) { return A_NORMAL; }
static inline attr_t unroll_a_bold(void) { return A_BOLD; }
static inline attr_t unroll_a_dim(void) { return A_DIM; }
static inline attr_t unroll_a_reverse(void) { return A_REVERSE; }
static inline attr_t unroll_a_underline(void) { return A_UNDERLINE; }

static inline mmask_t unroll_button1_pressed(void) { return BUTTON1_PRESSED; }
static inline mmask_t unroll_button1_released(void) { return BUTTON1_RELEASED; }
static inline mmask_t unroll_button2_pressed(void) { return BUTTON2_PRESSED; }
static inline mmask_t unroll_button2_released(void) { return BUTTON2_RELEASED; }
static inline mmask_t unroll_button3_pressed(void) { return BUTTON3_PRESSED; }
static inline mmask_t unroll_button3_released(void) { return BUTTON3_RELEASED; }
static inline mmask_t unroll_button4_pressed(void) { return BUTTON4_PRESSED; }
#if defined(BUTTON5_PRESSED)
static inline mmask_t unroll_button5_pressed(void) { return BUTTON5_PRESSED; }
#else
static inline mmask_t unroll_button5_pressed(void) { return 0; }
#endif

/// Reads the pending mouse event. Returns OK or ERR; fills x, y and the button state.
static inline int unroll_getmouse(int *x, int *y, mmask_t *bstate) {
    MEVENT ev;
    memset(&ev, 0, sizeof ev);
    int rc = getmouse(&ev);
    if (rc == OK) {
        *x = ev.x;
        *y = ev.y;
        *bstate = ev.bstate;
    }
    return rc;
}

/// Puts one character (up to CCHARW_MAX-1 code points: a base and combining marks)
/// with attributes and a colour pair at (y, x). Returns the ncurses status
/// (ERR at the bottom-right corner is expected and harmless).
static inline int unroll_put_cell(WINDOW *win, int y, int x, const wchar_t *wch, attr_t attrs, int pair) {
    cchar_t cc;
    memset(&cc, 0, sizeof cc);
    int ext = pair;
    if (setcchar(&cc, wch, attrs, (short)(pair > 32767 ? 0 : pair), &ext) == ERR) {
        return ERR;
    }
    return mvwadd_wch(win, y, x, &cc);
}

/// The locale's codeset (after setlocale), e.g. "UTF-8" or "ANSI_X3.4-1968".
static inline const char *unroll_codeset(void) { return nl_langinfo(CODESET); }

// ---------------------------------------------------------------------------
// Restoring the terminal on signals. NOTE: the state below is static per
// translation unit, so every call must come from one Swift file
// (NcursesTerminal.swift).
// Restoring the terminal on signals. The handlers only call endwin (which
// ncurses itself calls from its own signal handlers), sigaction, raise and
// _exit.
// ---------------------------------------------------------------------------

// State lives in function-local statics: Swift's importer does not emit file-scope static data.
static inline void *unroll_saved_actions_storage(void) {
    static struct sigaction saved[65];
    return saved;
}
#define unroll_saved_actions() ((struct sigaction *)unroll_saved_actions_storage())
static inline volatile sig_atomic_t *unroll_curses_active_flag(void) {
    static volatile sig_atomic_t active = 0;
    return &active;
}
static inline volatile sig_atomic_t *unroll_handlers_installed_flag(void) {
    static volatile sig_atomic_t installed = 0;
    return &installed;
}

static inline void unroll_restore_screen(void) {
    if (*unroll_curses_active_flag()) {
        *unroll_curses_active_flag() = 0;
        endwin();
    }
}

/// What else a terminating signal must do before the process exits (remove the temporaries an export is
/// writing): a plain C function, set before the handlers can run; it must be async-signal-safe.
typedef void (*unroll_terminate_hook_t)(void);
static inline volatile unroll_terminate_hook_t *unroll_terminate_hook(void) {
    static volatile unroll_terminate_hook_t hook = 0;
    return &hook;
}

/// SIGINT, SIGTERM, SIGHUP, SIGQUIT: restore the screen, run the hook and exit with 128 + signal.
static inline void unroll_terminate_handler(int sig) {
    unroll_restore_screen();
    unroll_terminate_hook_t hook = *unroll_terminate_hook();
    if (hook) hook();
    _exit(128 + sig);
}

/// Crash signals: restore the screen, put back the previous handler (e.g. the
/// Swift runtime's backtracer) and let the signal be delivered again.
static inline void unroll_crash_handler(int sig) {
    unroll_restore_screen();
    if (sig > 0 && sig < 65) {
        sigaction(sig, &unroll_saved_actions()[sig], NULL);
    }
    if (sig == SIGABRT || sig == SIGTRAP) {
        raise(sig);
    }
    // Synchronous faults (SEGV, ILL, BUS, FPE) re-fire when the handler returns.
}

static const int unroll_terminate_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static const int unroll_crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT};

/// Marks curses as active and installs the restoring handlers (saving the previous ones).
static inline void unroll_install_signal_handlers(void) {
    *unroll_curses_active_flag() = 1;
    if (*unroll_handlers_installed_flag()) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = unroll_terminate_handler;
    for (unsigned i = 0; i < sizeof unroll_terminate_signals / sizeof(int); i++) {
        int s = unroll_terminate_signals[i];
        sigaction(s, &sa, &unroll_saved_actions()[s]);
    }
    sa.sa_handler = unroll_crash_handler;
    for (unsigned i = 0; i < sizeof unroll_crash_signals / sizeof(int); i++) {
        int s = unroll_crash_signals[i];
        sigaction(s, &sa, &unroll_saved_actions()[s]);
    }
    *unroll_handlers_installed_flag() = 1;
}

/// Puts back the handlers saved by unroll_install_signal_handlers and marks curses inactive.
static inline void unroll_uninstall_signal_handlers(void) {
    *unroll_curses_active_flag() = 0;
    if (!*unroll_handlers_installed_flag()) return;
    for (unsigned i = 0; i < sizeof unroll_terminate_signals / sizeof(int); i++) {
        int s = unroll_terminate_signals[i];
        sigaction(s, &unroll_saved_actions()[s], NULL);
    }
    for (unsigned i = 0; i < sizeof unroll_crash_signals / sizeof(int); i++) {
        int s = unroll_crash_signals[i];
        sigaction(s, &unroll_saved_actions()[s], NULL);
    }
    *unroll_handlers_installed_flag() = 0;
}

#endif
