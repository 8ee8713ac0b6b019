package dev.berth.storage.instance;

/**
 * A container-engine call failed. {@link #unreachable()} tells "the host did not answer" (retry, say so)
 * from "the host answered no" (a failure of this instance).
 */
public class RuntimeUnavailableException extends Exception {
    private final boolean unreachable;

    public RuntimeUnavailableException(String message, boolean unreachable, Throwable cause) {
        super(message, cause);
        this.unreachable = unreachable;
    }

    public boolean unreachable() {
        return unreachable;
    }
}
