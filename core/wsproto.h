/*
 * RFC 6455 framing without I/O: frame headers parsed and built, payloads
 * (un)masked, the handshake's accept key, close payloads. Used by net.c for
 * both ends (server connections on our listener, client connections we
 * open). Pure functions: no allocation, no globals. Never installed.
 */
#ifndef VG_WSPROTO_H
#define VG_WSPROTO_H

#include <stddef.h>
#include <stdint.h>

#define WSP_OP_CONT	0x0
#define WSP_OP_TEXT	0x1
#define WSP_OP_BINARY	0x2
#define WSP_OP_CLOSE	0x8
#define WSP_OP_PING	0x9
#define WSP_OP_PONG	0xa

#define WSP_HDR_MAX	14	/* 2 + 8 (64-bit length) + 4 (mask) */
#define WSP_CTRL_MAX	125	/* a control frame's payload */

/* Which end parses: a server requires masked frames, a client refuses
 * them (RFC 6455 5.1). */
enum wsp_role {
	WSP_SERVER,
	WSP_CLIENT,
};

/* One frame's header. */
struct wsp_frame {
	unsigned	 fin;		/* 1: last fragment */
	unsigned	 opcode;	/* WSP_OP_* */
	unsigned	 masked;
	uint8_t		 mask[4];	/* when masked */
	size_t		 hdr_len;	/* bytes of header (2..14) */
	uint64_t	 len;		/* payload bytes that follow it */
};

/*
 * Parse the frame header at BUF (LEN bytes available) as ROLE. Returns 1
 * when the header is complete (F filled; the payload may still be
 * arriving), 0 when more bytes are needed, or -1 when the frame breaks the
 * protocol: *CODE is then the close code to send (1002 protocol error, or
 * 1009 when a data frame's length exceeds MAX) and *WHY a static reason.
 * MAX bounds one frame: the caller bounds a message spread over several.
 * Refused: RSV bits set (we negotiate no extension), unknown opcodes,
 * control frames that are fragmented or longer than 125 bytes, a 64-bit
 * length with the top bit set, a mask missing (server) or present (client).
 */
int		 wsp_parse_header(const uint8_t *buf, size_t len,
		    enum wsp_role role, uint64_t max, struct wsp_frame *f,
		    int *code, const char **why);

/*
 * Write the header of a frame (OPCODE, FIN, payload LEN) into OUT (room
 * for WSP_HDR_MAX bytes), masked with MASK when MASK is not NULL (the
 * client's frames). Returns the header's length. The payload is masked
 * separately (wsp_mask()).
 */
size_t		 wsp_build_header(uint8_t *out, unsigned opcode, int fin,
		    uint64_t len, const uint8_t *mask);

/*
 * XOR the N bytes at P with KEY, as if P began OFF bytes into the payload
 * (so a payload can be unmasked in pieces as it arrives). Masking and
 * unmasking are the same operation.
 */
void		 wsp_mask(uint8_t *p, size_t n, const uint8_t key[4],
		    uint64_t off);

/*
 * The Sec-WebSocket-Accept value for the client's Sec-WebSocket-Key KEY
 * (base64 of SHA-1 of KEY and the RFC's GUID) into OUT: 28 characters and
 * a NUL. Returns 0, or -1 when KEY is not a valid key (it must be the
 * base64 of 16 bytes: 24 characters).
 */
int		 wsp_accept_key(const char *key, char out[29]);

/*
 * Read a close frame's payload P (N bytes): *CODE gets the status (1005,
 * "no status", when N is 0), *REASON and *REASON_LEN the reason text
 * (borrowed from P). Returns 0, or -1 when the payload is invalid, *CODE
 * then being the close code to answer with: 1002 for one byte or a code
 * that may not be sent on the wire (RFC 6455 7.4: below 1000, 1004-1006,
 * 1015, 1016-2999 unassigned, or above 4999), 1007 for a reason that is
 * not valid UTF-8.
 */
int		 wsp_close_parse(const uint8_t *p, size_t n, int *code,
		    const char **reason, size_t *reason_len);

/*
 * Build a close payload (CODE, then REASON truncated to fit 125 bytes
 * without splitting a UTF-8 sequence) into OUT (room for WSP_CTRL_MAX
 * bytes). Returns its length. CODE 0: an empty payload.
 */
size_t		 wsp_close_build(uint8_t *out, int code, const char *reason);

/* True when the N bytes at P are valid UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
int		 wsp_utf8_valid(const uint8_t *p, size_t n);

#endif /* VG_WSPROTO_H */
