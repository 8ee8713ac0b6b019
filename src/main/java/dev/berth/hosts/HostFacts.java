package dev.berth.hosts;

/**
 * What one probe learned of a host. Fields a kind does not have are null (no domains on a Docker host,
 * no containers on a KVM host).
 *
 * @param latencyMillis     wall time of the probe, connect included
 * @param version           hypervisor or engine version as the host reports it
 * @param cpus              logical CPUs of the host
 * @param memoryBytes       total memory of the host
 * @param freeMemoryBytes   memory not in use, where the host reports it
 * @param runningDomains    KVM: active domains
 * @param totalDomains      KVM: defined domains, active or not
 * @param containers        Docker: all containers
 * @param runningContainers Docker: running containers
 */
public record HostFacts(long latencyMillis, String version, Integer cpus, Long memoryBytes, Long freeMemoryBytes,
                        Integer runningDomains, Integer totalDomains, Integer containers, Integer runningContainers) {
}
