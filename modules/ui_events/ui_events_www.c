/*
 * ui_events: the page's static files. Every servable file of www_dir is
 * read whole into memory at load (and reload), with its type, ETag and
 * Last-Modified, so a request never touches the disk. Names are checked
 * when read and when looked up: nothing outside the folder, no hidden
 * files. Core thread (file reads happen at load only).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <voicegate/voicegate.h>

#include "ui_events.h"

static const struct {
	const char	*ext;
	const char	*type;
} ui_types[] = {
	{ ".html",	"text/html; charset=utf-8" },
	{ ".js",	"text/javascript; charset=utf-8" },
	{ ".css",	"text/css; charset=utf-8" },
	{ ".json",	"application/json" },
	{ ".svg",	"image/svg+xml" },
	{ ".png",	"image/png" },
	{ ".ico",	"image/x-icon" },
	{ ".txt",	"text/plain; charset=utf-8" },
};

/* The Content-Type for NAME by its extension. */
const char *
ui_www_type(const char *name)
{
	size_t i, n = strlen(name), e;

	for (i = 0; i < VG_NELEM(ui_types); i++) {
		e = strlen(ui_types[i].ext);
		if (n > e && strcmp(name + n - e, ui_types[i].ext) == 0)
			return (ui_types[i].type);
	}
	return ("application/octet-stream");
}

/* True when NAME is a plain file name we may serve. */
int
ui_www_name_ok(const char *name)
{
	const char *p;

	if (name == NULL || *name == '\0' || *name == '.' ||
	    strlen(name) >= UI_WWW_NAME_MAX || strstr(name, "..") != NULL)
		return (0);
	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		    *p == '_'))
			return (0);
	}
	return (1);
}

/* Read DIR/NAME into F. Returns 0, or -1 (logged) when it cannot be. */
static int
ui_www_read(const char *dir, const char *name, struct ui_file *f)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct stat st;
	struct tm tm;
	char path[UI_PATH_MAX + UI_WWW_NAME_MAX + 2];
	size_t got = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		vg_log(VG_LOG_WARN, "www: open %s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > UI_WWW_FILE_MAX) {
		vg_log(VG_LOG_WARN, "www: %s: not a regular file of at most "
		    "%d bytes: skipped", path, UI_WWW_FILE_MAX);
		close(fd);
		return (-1);
	}
	f->data = vg_xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, f->data + got, (size_t)st.st_size - got);
		if (n <= 0) {
			vg_log(VG_LOG_WARN, "www: read %s: %s", path,
			    n == 0 ? "short" : strerror(errno));
			free(f->data);
			f->data = NULL;
			close(fd);
			return (-1);
		}
		got += (size_t)n;
	}
	close(fd);
	f->data[got] = '\0';
	f->len = got;
	vg_strlcpy(f->name, name, sizeof(f->name));
	snprintf(f->route, sizeof(f->route), "/%s", name);
	f->type = ui_www_type(name);
	/* A strong ETag from the content: same bytes, same tag. */
	EVP_Digest(f->data, f->len, md, &mdlen, EVP_sha256(), NULL);
	f->etag[0] = '"';
	for (i = 0; i < 8 && i < mdlen; i++)
		snprintf(f->etag + 1 + 2 * i, 3, "%02x", md[i]);
	vg_strlcpy(f->etag + 17, "\"", sizeof(f->etag) - 17);
	gmtime_r(&st.st_mtime, &tm);
	strftime(f->last_modified, sizeof(f->last_modified),
	    "%a, %d %b %Y %H:%M:%S GMT", &tm);
	return (0);
}

/* Read the servable files of DIR into FILES. */
int
ui_www_load(const char *dir, struct ui_file *files, size_t max)
{
	struct dirent *de;
	DIR *d;
	size_t n = 0, i;
	int have_index = 0;

	if ((d = opendir(dir)) == NULL) {
		vg_log(VG_LOG_ERROR, "www_dir %s: %s", dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (!ui_www_name_ok(de->d_name))
			continue;
		if (n == max) {
			vg_log(VG_LOG_WARN, "www_dir %s: more than %zu files: "
			    "%s and later ones not served", dir, max,
			    de->d_name);
			break;
		}
		memset(&files[n], 0, sizeof(files[n]));
		if (ui_www_read(dir, de->d_name, &files[n]) == 0) {
			if (strcmp(de->d_name, "index.html") == 0)
				have_index = 1;
			n++;
		}
	}
	closedir(d);
	if (!have_index) {
		vg_log(VG_LOG_ERROR, "www_dir %s has no index.html", dir);
		for (i = 0; i < n; i++)
			free(files[i].data);
		return (-1);
	}
	return ((int)n);
}

/* Free the files read. */
void
ui_www_free(struct ui_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(files[i].data);
		memset(&files[i], 0, sizeof(files[i]));
	}
}

/* The file served at PATH, or NULL. */
const struct ui_file *
ui_www_find(const struct ui_file *files, size_t n, const char *path)
{
	size_t i;

	if (path == NULL || path[0] != '/')
		return (NULL);
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if (!ui_www_name_ok(path + 1))
		return (NULL);
	for (i = 0; i < n; i++) {
		if (strcmp(files[i].name, path + 1) == 0)
			return (&files[i]);
	}
	return (NULL);
}
