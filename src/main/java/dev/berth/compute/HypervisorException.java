package dev.berth.compute;

/** A hypervisor call failed; the message is fit to show (the host's own error, or a timeout). */
public class HypervisorException extends Exception {
    public HypervisorException(String message, Throwable cause) {
        super(message, cause);
    }

    public HypervisorException(String message) {
        super(message);
    }
}
