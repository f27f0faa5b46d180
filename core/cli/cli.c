/* SPDX-License-Identifier: Apache-2.0 */
/* Global options and command dispatch; only this layer exits. */
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cfg_bind.h"
#include "cli.h"
#include "loader.h"
#include "log.h"
#include "trust.h"
#include "util.h"

static const char usage_text[] =
        "Usage: cairn [-c FILE] [--confdir DIR] [--set K=V]... [-v|-q] COMMAND\n"
        "\n"
        "Build a sandbox root from a stack of mount plugins, and take it down.\n"
        "\n"
        "Commands:\n"
        "  setup [--root DIR] [--owner PID] [--json]\n"
        "                     build a root (or build into DIR); print its path.\n"
        "                     --owner: the session belongs to PID; gc takes it\n"
        "                     when PID is gone\n"
        "  teardown ROOT|ID   undo a session in reverse; idempotent\n"
        "  exec [--root DIR] [--user UID[:GID]] [--cwd DIR] [--status-fd FD] -- CMD [ARG...]\n"
        "                     private mount and PID namespaces, setup, pivot_root,\n"
        "                     run CMD, kill what is left of it, teardown; exit\n"
        "                     with CMD's status\n"
        "  oci-hook create|delete [--entry NAME]\n"
        "                     an OCI runtime hook (createRuntime, poststop): the\n"
        "                     container's state on stdin; see cairn-oci(7)\n"
        "  cdi [--cdi-version V] [--kind VENDOR/CLASS] [--output FILE | --check FILE]\n"
        "                     the stack as a CDI spec (a device per entry, and all)\n"
        "  list [--json]      the sessions, with their state\n"
        "  gc [--all]         tear down sessions left by a crash (or whose\n"
        "                     --owner is gone); --all: every session\n"
        "  check              validate config and plugins; mount nothing\n"
        "  plugins            the available plugins and their options\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE  config file (default " CAIRN_CONF_FILE ")\n"
        "      --confdir DIR  drop-in directory (default " CAIRN_CONF_DIR ")\n"
        "      --set K=V      set variable K for ${K} and `when`\n"
        "  -v, --verbose      say more (twice: debug)\n"
        "  -q, --quiet        errors only\n"
        "  -h, --help         this text\n"
        "      --version      the version\n"
        "\n"
        "Exit status: 0 done; 1 setup failed and was rolled back; 2 bad usage,\n"
        "config or plugin (nothing done); 3 something could not be undone.\n";

int cli_load(struct cli *cli, unsigned dirs, struct cfg **ret_cfg, struct loader **ret_loader)
{
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        int r;

        r = cfg_load(cli->config, cli->confdir, &cli->vars, &cfg);
        if (r < 0)
                return r;
        r = cfg_check_dirs(cfg, dirs | CFG_DIR_PLUGIN);
        if (r < 0)
                goto fail;
        r = loader_new(cfg->plugin_dir, &l);
        if (r < 0)
                goto fail;
        r = cfg_bind_plugins(cfg, l);
        if (r < 0)
                goto fail;
        *ret_cfg = cfg;
        *ret_loader = l;
        return 0;
fail:
        loader_free(l);
        cfg_free(cfg);
        return r;
}

int cli_load_settings(struct cli *cli, unsigned dirs, struct cfg **ret_cfg, struct loader **ret_loader)
{
        struct cfg *cfg = NULL;
        int r;

        r = cfg_load_settings(cli->config, cli->confdir, &cfg);
        if (r < 0)
                return r;
        r = cfg_check_dirs(cfg, dirs);
        if (r < 0) {
                cfg_free(cfg);
                return r;
        }
        r = loader_new(cfg->plugin_dir, ret_loader);
        if (r < 0) {
                cfg_free(cfg);
                return log_errno(r, "plugin loader");
        }
        *ret_cfg = cfg;
        return 0;
}

int cli_no_options(int argc, char *argv[], const char *usage, bool takes_args)
{
        static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, {} };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                if (c == 'h') {
                        printf("%s", usage);
                        return 1;
                }
                fprintf(stderr, "%s", usage);
                return -EINVAL;
        }
        if (!takes_args && optind < argc) {
                log_error("%s: unexpected argument \"%s\"", argv[0], argv[optind]);
                return -EINVAL;
        }
        return 0;
}

bool cli_stdout_was_closed;

/* Descriptors 0, 1 and 2 open before anything else is: a cairn started
 * with one of them closed (`2>&-`) would otherwise get it for the first
 * file it opens (a journal) and write its messages into that file.  The
 * missing ones get /dev/null, as setuid-era tools do.  -1 if one cannot
 * be had: nothing can be done safely then. */
static int open_std_fds(void)
{
        for (int fd = 0; fd <= 2; fd++) {
                int n;

                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                if (fd == STDOUT_FILENO)
                        cli_stdout_was_closed = true;
                /* The lowest free number is fd itself: the ones below
                 * it are open by now. */
                n = open("/dev/null", O_RDWR | O_NOCTTY);
                if (n != fd) {
                        if (n >= 0)
                                close(n);
                        return -1;
                }
        }
        return 0;
}

/* A reader that went away (`cairn setup | head -c0`) is a failed write,
 * handled where it happens (setup rolls back), not a death by SIGPIPE that
 * leaves a root nobody knows of; a file size limit (`ulimit -f`) is a
 * failed journal write (EFBIG), not a death mid-record. */
static void ignore_signals(void)
{
        struct sigaction ign = { .sa_handler = SIG_IGN };

        (void) sigaction(SIGPIPE, &ign, NULL);
        (void) sigaction(SIGXFSZ, &ign, NULL);
}

static const struct {
        const char *name;
        int (*fn)(struct cli *cli, int argc, char *argv[]);
} commands[] = {
        { "setup", cmd_setup },
        { "teardown", cmd_teardown },
        { "check", cmd_check },
        { "plugins", cmd_plugins },
        { "list", cmd_list },
        { "gc", cmd_gc },
        { "exec", cmd_exec },
        { "oci-hook", cmd_oci_hook },
        { "cdi", cmd_cdi },
};

/* A global option with a value in the next word ("-c FILE"). */
static bool global_takes_value(const char *a)
{
        return streq(a, "-c") || streq(a, "--config") || streq(a, "--confdir") || streq(a, "--set");
}

static bool is_global(const char *a)
{
        static const char *const flags[] = { "-v", "-q", "--verbose", "--quiet", "-vv" };

        if (global_takes_value(a) || (strncmp(a, "-c", 2) == 0 && a[2] && a[1] != '-') ||
            strncmp(a, "--config=", 9) == 0 || strncmp(a, "--confdir=", 10) == 0 ||
            strncmp(a, "--set=", 6) == 0)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (streq(a, flags[i]))
                        return true;
        return false;
}

/* A command's own option with a value in the next word. */
static bool command_takes_value(const char *a)
{
        static const char *const opts[] = { "--root", "--owner", "--user", "--cwd", "--status-fd", "--entry",
                                            "--cdi-version", "--kind", "--output", "--check" };

        for (size_t i = 0; i < ELEMENTSOF(opts); i++)
                if (streq(a, opts[i]))
                        return true;
        return false;
}

/* The global options given after the command (`cairn setup --set
 * platform=kvm`, as git and systemctl take them) moved before it, in their
 * order, so that the one getopt pass reads them; nothing after a "--" (an
 * exec's CMD) is touched.  Returns the new argv (argv's own strings; the
 * array is the caller's to free), or NULL without memory. */
static char **globals_first(int argc, char *argv[])
{
        char **v = calloc((size_t) argc + 1, sizeof *v);
        int n = 0, cmd = -1;

        if (!v)
                return NULL;
        for (int i = 1; i < argc; i++) {
                if (argv[i][0] != '-' || streq(argv[i], "-") || streq(argv[i], "--")) {
                        cmd = streq(argv[i], "--") ? -1 : i;
                        break;
                }
                if (global_takes_value(argv[i]))
                        i++;
        }
        v[n++] = argv[0];
        if (cmd < 0) {
                for (int i = 1; i < argc; i++)
                        v[n++] = argv[i];
                return v;
        }
        for (int i = 1; i < cmd; i++)
                v[n++] = argv[i];
        /* The globals after the command... */
        for (int i = cmd + 1; i < argc && !streq(argv[i], "--"); i++) {
                if (command_takes_value(argv[i])) {
                        i++;
                        continue;
                }
                if (!is_global(argv[i]))
                        continue;
                v[n++] = argv[i];
                if (global_takes_value(argv[i]) && i + 1 < argc)
                        v[n++] = argv[++i];
        }
        /* ... then the command and the rest. */
        v[n++] = argv[cmd];
        for (int i = cmd + 1; i < argc; i++) {
                if (streq(argv[i], "--")) {
                        while (i < argc)
                                v[n++] = argv[i++];
                        break;
                }
                if (command_takes_value(argv[i])) {
                        v[n++] = argv[i];
                        if (i + 1 < argc)
                                v[n++] = argv[++i];
                        continue;
                }
                if (is_global(argv[i])) {
                        if (global_takes_value(argv[i]) && i + 1 < argc)
                                i++;
                        continue;
                }
                v[n++] = argv[i];
        }
        return v;
}

/* What every command that mounts needs: CAP_SYS_ADMIN (checked first, so
 * that a user who is not root is told so, not of a failure later). */
static bool can_mount(void)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        /* Root, as nearly always: asked no further (a root without
         * CAP_SYS_ADMIN learns it from the first mount). */
        if (geteuid() == 0)
                return true;
        if (syscall(SYS_capget, &h, d) < 0)
                return geteuid() == 0;
        return d[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32));
}

static bool command_mounts(const char *name)
{
        return streq(name, "setup") || streq(name, "teardown") || streq(name, "gc") || streq(name, "exec") ||
               streq(name, "oci-hook");
}

__attribute__((visibility("default"))) int cairn_main(int argc, char *argv_in[])
{
        _cleanup_free_ char **argv = NULL;
        enum { OPT_CONFDIR = 0x100, OPT_SET, OPT_VERSION };
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "confdir", required_argument, NULL, OPT_CONFDIR },
                { "set", required_argument, NULL, OPT_SET },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        struct cli cli = { .config = CAIRN_CONF_FILE, .confdir = CAIRN_CONF_DIR };
        int c, level = CAIRN_LOG_NOTICE, status = EXIT_USAGE;

        if (open_std_fds() < 0)
                return EXIT_USAGE; /* nowhere to say it, either */
        ignore_signals();
        /* Everything cairn creates gets exactly the mode it asks for. */
        umask(022);
        argv = globals_first(argc, argv_in);
        if (!argv)
                return EXIT_USAGE;
        while ((c = getopt_long(argc, argv, "+c:vqh", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        cli.config = optarg;
                        break;
                case OPT_CONFDIR:
                        cli.confdir = optarg;
                        break;
                case OPT_SET:
                        if (vars_set(&cli.vars, optarg) < 0)
                                goto out;
                        break;
                case 'v':
                        level = level < CAIRN_LOG_INFO ? CAIRN_LOG_INFO : CAIRN_LOG_DEBUG;
                        break;
                case 'q':
                        level = CAIRN_LOG_ERR;
                        break;
                case 'h':
                        printf("%s", usage_text);
                        status = EXIT_DONE;
                        goto out;
                case OPT_VERSION:
                        printf("cairn %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, CAIRN_ABI_MAJOR,
                               CAIRN_ABI_MINOR);
                        status = EXIT_DONE;
                        goto out;
                default:
                        fprintf(stderr, "Try 'cairn --help'.\n");
                        goto out;
                }
        }
        log_set_level(level);
        if (optind >= argc) {
                fprintf(stderr, "cairn: no command given\n%s", usage_text);
                goto out;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(argv[optind], commands[i].name)) {
                        if (command_mounts(commands[i].name) && !can_mount() &&
                            !(optind + 1 < argc && streq(argv[optind + 1], "--help"))) {
                                log_error("%s: cairn needs root (CAP_SYS_ADMIN): it mounts", argv[optind]);
                                goto out;
                        }
                        status = commands[i].fn(&cli, argc - optind, argv + optind);
                        goto out;
                }
        log_error("unknown command \"%s\"; try 'cairn --help'", argv[optind]);
out:
        vars_clear(&cli.vars);
        trust_forget();
        /* Every descriptor cairn still holds (the plugins'), in one call
         * rather than one each: the process ends here. */
        (void) close_range(3, ~0U, 0);
        return status;
}
