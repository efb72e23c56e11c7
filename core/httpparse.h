/*
 * HTTP/1.1 message heads and chunked bodies, parsed without I/O: the
 * requests our listener reads and the responses to the WebSocket
 * handshakes we send. Pure functions: no allocation, no globals. Never
 * installed.
 */
#ifndef VG_HTTPPARSE_H
#define VG_HTTPPARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HP_MAX_HEADERS	64

/* One header: both point into the parsed buffer, NUL-terminated; the
 * name as sent (compare case-insensitively), the value without leading
 * and trailing blanks. */
struct hp_header {
	const char	*name;
	const char	*value;
};

/* A parsed head. Strings point into the parsed buffer. */
struct hp_head {
	/* request */
	const char	*method;	/* "GET", ... as sent */
	const char	*target;	/* request-target as sent */
	/* response */
	int		 status;	/* 100..599 */
	const char	*reason;	/* may be "" */
	/* both */
	int		 minor;		/* HTTP/1.MINOR: 0 or 1 */
	struct hp_header hdrs[HP_MAX_HEADERS];
	size_t		 nhdrs;
	size_t		 len;		/* bytes of the head, blank line included */
};

/*
 * Parse the head at BUF (LEN bytes available): a request (RESPONSE 0) or a
 * response (RESPONSE 1). Returns 1 when the head is complete and valid (H
 * filled; BUF's head bytes are rewritten in place to NUL-terminate the
 * strings, the bytes after H->len are untouched), 0 when the blank line
 * that ends it has not arrived yet (BUF untouched; the caller bounds how
 * long a head may grow), or -1 when it is malformed (*WHY says why, a
 * static string). Lines end in CRLF or a bare LF. Refused: a method that is
 * not a token, a target with spaces or control bytes, a version other than
 * HTTP/1.0 or HTTP/1.1, a status outside 100..599, a header name that is
 * not a token, a header line without ':', obsolete line folding, control
 * bytes in a value (tab excepted), more than HP_MAX_HEADERS headers.
 */
int		 hp_parse_head(char *buf, size_t len, int response,
		    struct hp_head *h, const char **why);

/* The value of header NAME (case-insensitive) in H, or NULL. The first
 * one when repeated. */
const char	*hp_header(const struct hp_head *h, const char *name);

/* True when the comma-separated header VALUE lists TOKEN
 * (case-insensitive), e.g. "keep-alive, Upgrade" lists "upgrade". */
int		 hp_has_token(const char *value, const char *token);

/*
 * Parse a Content-Length value: digits only (blanks around allowed), at
 * most 18 of them. Returns 0 with *N set, or -1.
 */
int		 hp_content_length(const char *value, uint64_t *n);

/*
 * Split an origin-form request-target ("/path?query") into its path,
 * percent-decoded into PATH (PATH_SIZE bytes), and its raw query (after
 * '?', not decoded; "" when none) into *QUERY, pointing into TARGET.
 * Returns 0, or -1 when TARGET does not start with '/', a percent escape
 * is bad, the decoded path holds a NUL or a control byte or a ".." segment,
 * or it does not fit.
 */
int		 hp_split_target(const char *target, char *path,
		    size_t path_size, const char **query);

/* A chunked body being decoded (RFC 9112 7.1). Zero it to start. */
struct hp_chunked {
	int		 state;		/* private */
	uint64_t	 left;		/* private: bytes left in the chunk */
	int		 done;		/* the last chunk and trailers are in */
};

/*
 * Decode the chunked body bytes at BUF (LEN bytes) in place: the data
 * bytes found are moved to the start of BUF (data never moves forward,
 * so this is safe). Returns the number of data bytes now at BUF (maybe
 * 0), and sets *USED to the input bytes consumed (all of LEN unless the
 * body ended inside it: the rest belongs to the next request). Returns -1
 * on a malformed body (*WHY says why). Chunk extensions are skipped;
 * trailers are read and dropped; a chunk size above 2^40 is refused.
 * C->done turns 1 after the final CRLF.
 */
ssize_t		 hp_chunked_decode(struct hp_chunked *c, char *buf, size_t len,
		    size_t *used, const char **why);

#endif /* VG_HTTPPARSE_H */
