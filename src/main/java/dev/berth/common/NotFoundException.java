package dev.berth.common;

/** The thing does not exist — or belongs to someone else, which callers must not be able to tell apart. */
public class NotFoundException extends RuntimeException {
    public NotFoundException(String message) {
        super(message);
    }
}
