/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A static program for `cairn exec` tests to run inside a root that holds
 * nothing else.  sandboxed exit N | kill SIG | wait-term OUT
 *   exit N       exit with status N
 *   kill SIG     kill itself with signal SIG
 *   wait-term    print its pid, then wait; SIGTERM makes it exit 42
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_term(int sig)
{
        _exit(42);
}

int main(int argc, char *argv[])
{
        if (argc == 3 && !strcmp(argv[1], "exit"))
                return atoi(argv[2]);
        if (argc == 3 && !strcmp(argv[1], "kill")) {
                kill(getpid(), atoi(argv[2]));
                return 99;
        }
        if (argc == 2 && !strcmp(argv[1], "wait-term")) {
                signal(SIGTERM, on_term);
                printf("%d\n", (int) getpid());
                fflush(stdout);
                for (int i = 0; i < 600; i++)
                        sleep(1);
                return 98;
        }
        fprintf(stderr, "usage: sandboxed exit N | kill SIG | wait-term\n");
        return 97;
}
