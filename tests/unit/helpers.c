/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "log.h"

static char *captured;
static size_t captured_len;

static void capture_sink(int level, const char *msg, void *userdata)
{
        size_t n = strlen(msg);
        char *p = realloc(captured, captured_len + n + 2);
        if (!p)
                abort();
        captured = p;
        memcpy(captured + captured_len, msg, n);
        captured_len += n;
        captured[captured_len++] = '\n';
        captured[captured_len] = '\0';
}

void logs_capture(void)
{
        logs_release();
        log_set_level(CAIRN_LOG_DEBUG);
        log_set_sink(capture_sink, NULL);
}

const char *logs(void)
{
        return captured ? captured : "";
}

void logs_release(void)
{
        free(captured);
        captured = NULL;
        captured_len = 0;
        log_set_sink(NULL, NULL);
        log_set_level(CAIRN_LOG_NOTICE);
}

void assert_logs_contain(const char *needle, const char *file, int line)
{
        if (!strstr(logs(), needle)) {
                print_error("expected the log to contain \"%s\"; it was:\n%s\n", needle, logs());
                _fail(file, line);
        }
}

char *scratch_dir(void)
{
        const char *tmp = getenv("TMPDIR");
        char *d;

        if (asprintf(&d, "%s/cairn-test-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
                abort();
        if (!mkdtemp(d))
                abort();
        return d;
}

char *scratch_file(const char *dir, const char *name, const char *content)
{
        char *path;
        FILE *f;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                abort();
        f = fopen(path, "we");
        if (!f)
                abort();
        fputs(content, f);
        if (fclose(f) != 0)
                abort();
        chmod(path, 0644);
        return path;
}

static void remove_level(const char *dir, int depth)
{
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                char *p;
                struct stat st;

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                        abort();
                if (lstat(p, &st) == 0) {
                        if (S_ISDIR(st.st_mode) && depth > 0) {
                                remove_level(p, depth - 1);
                                rmdir(p);
                        } else if (!S_ISDIR(st.st_mode))
                                unlink(p);
                }
                free(p);
        }
        closedir(d);
}

void scratch_remove(const char *dir)
{
        remove_level(dir, 1);
        rmdir(dir);
}
