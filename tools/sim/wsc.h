/*
 * wsc: the small pieces of a raw-socket WebSocket client (RFC 6455) that an
 * epoll-driven load tool needs: growable byte buffers, frame encoding
 * (masked) and decoding, the handshake key and its expected accept value,
 * and an HTTP header lookup. No I/O loop; voicegate-sim and bench/ws_load
 * link it as tools/sim/libwsc.la. The only global state is the mask
 * generator: masked frames (wsc_frame_put with MASK set) and wsc_seed belong
 * to one thread, everything else may run on any thread, one buffer per
 * thread.
 */
#ifndef VG_WSC_H
#define VG_WSC_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define WSC_GUID	"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WSC_READ_CHUNK	16384

#define WSC_OP_CONT	0x0
#define WSC_OP_TEXT	0x1
#define WSC_OP_BINARY	0x2
#define WSC_OP_CLOSE	0x8
#define WSC_OP_PING	0x9
#define WSC_OP_PONG	0xa

/* A byte buffer with a read offset; used for both directions. */
struct wsc_buf {
	unsigned char	*data;
	size_t		 off;		/* first unconsumed byte */
	size_t		 len;		/* end of valid bytes */
	size_t		 cap;
};

/* One parsed frame, its payload unmasked in place in the input buffer. */
struct wsc_frame {
	int		 fin;
	int		 opcode;
	int		 masked;	/* the peer masked it */
	int		 rsv;		/* RSV1-3 bits as sent */
	unsigned char	*payload;
	size_t		 len;
	size_t		 total;		/* header + payload */
};

/* Seed the mask generator with SEED (0 keeps the default). */
void	wsc_seed(uint64_t seed);

/* Return the monotonic clock in nanoseconds. */
uint64_t wsc_now(void);

/* Make room for N more bytes at the end of B, compacting first; exits on
 * out of memory. */
void	wsc_buf_reserve(struct wsc_buf *b, size_t n);

/* Append LEN bytes at P to B. */
void	wsc_buf_add(struct wsc_buf *b, const void *p, size_t len);

/* Release what B holds and zero it. */
void	wsc_buf_free(struct wsc_buf *b);

/* Return the bytes in B not yet consumed. */
size_t	wsc_buf_avail(const struct wsc_buf *b);

/* Write as much of B to FD as the socket takes. Returns 0 (possibly with
 * bytes left) or -1 on a socket error. */
int	wsc_buf_flush(struct wsc_buf *b, int fd);

/* Read once from FD into B. Returns bytes read, 0 at EOF, -1 on error
 * (errno EAGAIN when there was nothing to read). */
ssize_t	wsc_buf_read(struct wsc_buf *b, int fd);

/* Append one frame (FIN set) with OPCODE and payload P/LEN to B, masked
 * when MASK is set (client to server). */
void	wsc_frame_put(struct wsc_buf *b, int opcode, const void *p,
	    size_t len, int mask);

/* Parse one complete frame at the front of B into F (MAX bounds the
 * payload), unmasking it in place; the caller consumes F->total. Returns 1
 * with a frame, 0 if more bytes are needed, -1 if oversized. */
int	wsc_frame_get(struct wsc_buf *b, struct wsc_frame *f, size_t max);

/* Make a random Sec-WebSocket-Key into KEY (25 bytes) and the accept value
 * the server must answer into ACCEPT (29 bytes). Returns 0 or -1. */
int	wsc_make_key(char *key, char *accept);

/* Compute base64(SHA1(KEY + GUID)) into OUT (29 bytes). Returns 0 or -1. */
int	wsc_accept_key(const char *key, char *out);

/* Find header NAME in the NUL-terminated HTTP head H (request or status
 * line first) and copy its trimmed value into OUT. Returns 0, or -1 if
 * absent or too long. */
int	wsc_http_header(const char *h, const char *name, char *out,
	    size_t outsz);

/* Make FD non-blocking. Returns 0 or -1. */
int	wsc_nonblock(int fd);

#endif /* VG_WSC_H */
