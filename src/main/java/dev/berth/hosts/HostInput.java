package dev.berth.hosts;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A host as an administrator registers or edits it, through the form or the API. */
public record HostInput(
        @Schema(examples = "kvm-01", description = "unique; letters, digits, dots, dashes") String name,
        @Schema(examples = "KVM", enumeration = {"KVM", "DOCKER"}) String kind,
        @Schema(examples = "qemu+ssh://root@kvm-01.example.org/system") String uri,
        @Schema(description = "Docker hosts: the address tenants' VMs use to reach storage on this host", examples = "127.0.0.1") String storageAddress,
        @Schema(examples = "rack=a, ssd=true", description = "comma-separated key=value pairs") String labels,
        @Schema(description = "defaults to true") Boolean enabled,
        @Schema(description = "Docker over tcp://: PEM of the CA that signed the engine's certificate") String tlsCaPem,
        @Schema(description = "Docker over tcp://: PEM of Berth's client certificate") String tlsCertPem,
        @Schema(description = "Docker over tcp://: PEM (PKCS#8) of Berth's client key; write-only, stored encrypted; empty keeps the current key") String tlsKeyPem) {
}
