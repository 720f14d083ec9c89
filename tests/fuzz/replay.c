/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * replay - run a libFuzzer target without libFuzzer: call
 * LLVMFuzzerTestOneInput once on each file named, or on each file in
 * each folder named (not recursively; names starting with '.' are
 * skipped, so a folder kept in git by a .keep file counts as empty).
 * Linked with each fuzz target by the normal build, so the corpora and
 * past crashes are replayed by `make check` with the normal compiler.
 * A target reports a broken property by aborting; this program exits
 * 0 when every input ran, 111 if an input could not be read.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define USAGE	"usage: replay file|folder ..."
#define MAXIN	(1 << 20)	/* the fuzzers run with -max_len well below */

static unsigned long	 ran;

/* replay_file - run the target once on the file's bytes; -1 if unreadable. */
static int
replay_file(const char *path)
{
	static uint8_t buf[MAXIN];
	size_t n = 0;
	ssize_t r = 0;
	uint8_t *copy;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		fprintf(stderr, "replay: unable to open %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	while (n < sizeof(buf)) {
		r = read(fd, buf + n, sizeof(buf) - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (r == -1) {
		fprintf(stderr, "replay: unable to read %s\n", path);
		return -1;
	}
	/* a buffer of exactly n octets, so ASan sees reads past the input */
	if ((copy = malloc(n ? n : 1)) == NULL) {
		fprintf(stderr, "replay: out of memory\n");
		return -1;
	}
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	ran++;
	return 0;
}

/* replay_dir - replay_file on each regular file in the folder. */
static int
replay_dir(const char *path)
{
	char file[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: unable to open %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(file, sizeof(file), "%s/%s", path,
		    de->d_name) >= sizeof(file)) {
			rc = -1;
			continue;
		}
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_file(file) == -1)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct stat st;
	int i, rc = 0;

	if (argc < 2 || strcmp(argv[1], "-h") == 0) {
		fprintf(stderr, "%s\n", USAGE);
		return argc < 2 ? 100 : 0;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "replay: unable to stat %s: %s\n",
			    argv[i], strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i]) == -1)
				rc = -1;
		} else if (replay_file(argv[i]) == -1)
			rc = -1;
	}
	fprintf(stderr, "replay: %lu inputs ran\n", ran);
	return rc == 0 ? 0 : 111;
}
