/* net.h: net thread internals, to be written. */
#ifndef VG_NET_H
#define VG_NET_H
#endif
