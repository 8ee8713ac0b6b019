package dev.berth.demo;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The demo cloud {@code ./berth run} starts with (development mode only; {@link DemoCloud}). Off by default:
 * a deployment never seeds anything, and refuses to start with it on.
 */
@ConfigMapping(prefix = "berth.demo")
public interface DemoConfig {
    /** BERTH_DEMO: register the local engines, a test-driver fleet, demo machines, and assign them. */
    @WithDefault("false")
    boolean enabled();

    /** Where the test-driver host files are written (they must outlive the process: hosts point at them). */
    Path dir();

    /** The local libvirt the real demo machines are defined on. */
    @WithDefault("qemu:///system")
    String libvirtUri();

    /** The local Docker engine; tenants' MinIO containers listen on 127.0.0.1. */
    @WithDefault("unix:///var/run/docker.sock")
    String dockerUri();

    /** Kernel and initramfs of the real demo machines, readable by QEMU's user; without them no real machine is defined. */
    Optional<Path> kernel();

    Optional<Path> initrd();

    /** Names of the demo hosts start with this. */
    @WithDefault("demo-")
    String hostPrefix();

    /** Names of the real demo machines on the local libvirt: prefix + tenant. */
    @WithDefault("berth-demo-")
    String domainPrefix();
}
