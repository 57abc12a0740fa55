/* swapper: replace PATH, as fast as rename(2) allows, by each of the given
 * entries in turn, until killed:
 *   swapper PATH KIND:SOURCE...
 * KIND is `link` (a hard link of SOURCE), `fifo` (a new FIFO), `symlink`
 * (a symbolic link to SOURCE) or `dir` (a new empty directory). Each entry
 * is made under PATH.swap and renamed over PATH, so PATH always exists. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: swapper PATH KIND:SOURCE...\n");
    return 2;
  }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.swap", argv[1]);
  for (unsigned long n = 0;; n++) {
    const char *spec = argv[2 + n % (unsigned long)(argc - 2)];
    const char *source = strchr(spec, ':');
    source = source ? source + 1 : "";
    rmdir(tmp);
    unlink(tmp);
    int made = -1;
    if (strncmp(spec, "link:", 5) == 0) made = link(source, tmp);
    else if (strncmp(spec, "fifo:", 5) == 0) made = mkfifo(tmp, 0600);
    else if (strncmp(spec, "symlink:", 8) == 0) made = symlink(source, tmp);
    else if (strncmp(spec, "dir:", 4) == 0) made = mkdir(tmp, 0700);
    if (made != 0) continue;
    if (rename(tmp, argv[1]) != 0) {
      /* A directory cannot replace a file by rename, nor the other way: clear PATH first. */
      rmdir(argv[1]);
      unlink(argv[1]);
      rename(tmp, argv[1]);
    }
  }
}
