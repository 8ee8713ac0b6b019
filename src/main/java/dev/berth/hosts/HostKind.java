package dev.berth.hosts;

/** What a registered host is for: KVM hosts run tenants' VMs, Docker hosts run their storage containers. */
public enum HostKind {
    KVM, DOCKER
}
