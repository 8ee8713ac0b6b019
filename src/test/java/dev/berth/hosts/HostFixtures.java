package dev.berth.hosts;

/** What the libvirt test-driver host files under src/test/resources/libvirt define; tests compare against it. */
final class HostFixtures {
    /** host-a.xml: 1 node × 1 socket × 6 cores × 2 threads. */
    static final int HOST_A_CPUS = 12;
    /** host-a.xml: {@code <memory>33554432</memory>} KiB. */
    static final long HOST_A_MEMORY_BYTES = 33554432L * 1024;
    /** web-1 and legacy-1 run; batch-1 is shut off. */
    static final int HOST_A_RUNNING = 2;
    static final int HOST_A_TOTAL = 3;

    private HostFixtures() {
    }
}
