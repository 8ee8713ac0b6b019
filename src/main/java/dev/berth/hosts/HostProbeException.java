package dev.berth.hosts;

/** A probe failed: the message is the exact error to show an administrator (never contains secrets). */
public class HostProbeException extends Exception {
    public HostProbeException(String message, Throwable cause) {
        super(message, cause);
    }

    public HostProbeException(String message) {
        super(message);
    }
}
