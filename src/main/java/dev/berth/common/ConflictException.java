package dev.berth.common;

/** The request is valid but the current state refuses it (e.g. removing a host that still has tenants' resources). */
public class ConflictException extends RuntimeException {
    public ConflictException(String message) {
        super(message);
    }
}
