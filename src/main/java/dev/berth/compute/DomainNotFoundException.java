package dev.berth.compute;

/** The host answered, but has no domain with that UUID: it was undefined or moved. */
public class DomainNotFoundException extends HypervisorException {
    public DomainNotFoundException(String uuid) {
        super("no domain with UUID " + uuid + " on this host");
    }
}
