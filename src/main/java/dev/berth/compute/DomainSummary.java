package dev.berth.compute;

/**
 * One domain as a list shows it.
 *
 * @param uuid        libvirt's UUID, the stable identity on its host (names can be reused)
 * @param memoryBytes the domain's current memory allocation
 */
public record DomainSummary(String uuid, String name, DomainState state, int vcpus, long memoryBytes) {
}
