package dev.berth.compute;

import java.nio.charset.StandardCharsets;

/**
 * Keeps every proxied console in VNC shared mode: watches the bytes a client sends at the start of an RFB session
 * and sets the ClientInit "shared" flag to 1, so no client can disconnect the others by asking for exclusive
 * access (RFC 6143 §7.3.1). Understands RFB 3.7/3.8 with security "None" (1) or "VNC Authentication" (2), the
 * types QEMU offers without TLS; any other exchange is passed on unchanged (QEMU's own share policy then
 * applies). One instance per connection, fed in order; not thread-safe (one event loop owns a connection).
 */
final class RfbSharedFlag {
    private static final int VERSION_BYTES = 12; // "RFB 003.008\n"
    private static final int VNC_AUTH_RESPONSE_BYTES = 16;

    private final byte[] version = new byte[VERSION_BYTES];
    private long seen;          // client bytes seen so far
    private long clientInitAt = -1; // offset of the ClientInit byte once known
    private boolean done;

    /** Changes {@code data} in place where it carries the ClientInit byte; returns true while still watching. */
    boolean filter(byte[] data, int offset, int length) {
        for (int i = 0; i < length && !done; i++) {
            long at = seen + i;
            byte b = data[offset + i];
            if (at < VERSION_BYTES) {
                version[(int) at] = b;
            } else if (at == VERSION_BYTES) { // the chosen security type (3.7 and 3.8 only)
                String v = new String(version, StandardCharsets.US_ASCII);
                boolean chooses = v.startsWith("RFB 003.") && minor(v) >= 7;
                if (!chooses) {
                    done = true; // 3.3: the server chooses; not worth following
                } else if (b == 1) {
                    clientInitAt = at + 1;
                } else if (b == 2) {
                    clientInitAt = at + 1 + VNC_AUTH_RESPONSE_BYTES;
                } else {
                    done = true;
                }
            } else if (at == clientInitAt) {
                data[offset + i] = 1;
                done = true;
            }
        }
        seen += length;
        return !done;
    }

    boolean done() {
        return done;
    }

    private static int minor(String version) {
        try {
            return Integer.parseInt(version.substring(8, 11));
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
