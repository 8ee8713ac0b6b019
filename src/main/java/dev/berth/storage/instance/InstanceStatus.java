package dev.berth.storage.instance;

/**
 * Where an instance is on its way to ready, in the order provisioning passes through them. FAILED and
 * UNREACHABLE are retried with backoff; SUSPENDED is an administrator's choice and stays until resumed.
 */
public enum InstanceStatus {
    REQUESTED("Requested", 0),
    PLACING("Choosing a Docker host", 1),
    CREATING("Creating the container", 2),
    STARTING("Starting MinIO", 3),
    WAITING("Waiting for MinIO to answer", 4),
    READY("Ready", 5),
    FAILED("Failed, retrying", -1),
    UNREACHABLE("Docker host unreachable", -1),
    SUSPENDED("Suspended by an administrator", -1);

    /** The steps a tenant watches on the way to ready. */
    public static final java.util.List<InstanceStatus> STEPS = java.util.List.of(PLACING, CREATING, STARTING, WAITING, READY);

    private final String label;
    private final int step;

    InstanceStatus(String label, int step) {
        this.label = label;
        this.step = step;
    }

    public String label() {
        return label;
    }

    /** 0..5 along the way to ready; -1 off the way (failed, unreachable, suspended). */
    public int step() {
        return step;
    }

    /** Still on its way: the page keeps polling. */
    public boolean inProgress() {
        return step >= 0 && step < READY.step;
    }
}
