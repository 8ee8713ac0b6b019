package dev.berth.storage;

/** The instance refused or did not answer; the message says which, in words for a page. */
public class StorageException extends RuntimeException {
    private final boolean notFound;

    public StorageException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public StorageException(String message, Throwable cause, boolean notFound) {
        super(message, cause);
        this.notFound = notFound;
    }

    /** The bucket or key does not exist on the instance. */
    public boolean notFound() {
        return notFound;
    }
}
