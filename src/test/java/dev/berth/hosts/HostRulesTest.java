package dev.berth.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.common.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

@Tag(DatabasePass.INDEPENDENT)
class HostRulesTest {
    static HostInput kvm(String uri) {
        return new HostInput("kvm-01", "kvm", uri, null, "rack=a, ssd", true, null, null, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu+ssh://root@kvm-01.example.org/system", "qemu+tls://kvm-01/system", "qemu+tcp://127.0.0.1:16509/system",
            "qemu:///system", "test:///default", "test:///srv/hosts/host-a.xml"})
    void acceptsLibvirtUris(String uri) {
        var v = HostRules.validate(kvm(uri), false);
        assertEquals(HostKind.KVM, v.kind());
        assertEquals("rack=a,ssd", v.labels());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://kvm-01/system", "qemu+ssh:///system", "qemu+ssh://kvm-01/", "test:///", "not a uri", "qemu:///elsewhere"})
    void refusesOtherLibvirtUris(String uri) {
        var e = assertThrows(InvalidInputException.class, () -> HostRules.validate(kvm(uri), false));
        assertEquals("uri", e.errors().get(0).field());
    }

    @Test
    void dockerHostsNeedAStorageAddressAndTlsOnlyOverTcp() {
        var noAddress = new HostInput("d1", "DOCKER", "unix:///var/run/docker.sock", "", "", true, null, null, null);
        assertEquals("is required for a Docker host: tenants' VMs reach their storage there",
                assertThrows(InvalidInputException.class, () -> HostRules.validate(noAddress, false)).messageFor("storageAddress"));
        var tlsOnUnix = new HostInput("d1", "DOCKER", "unix:///var/run/docker.sock", "127.0.0.1", "", true,
                "-----BEGIN CERTIFICATE-----x-----END CERTIFICATE-----", null, null);
        assertEquals("TLS material is only for Docker hosts reached over tcp://",
                assertThrows(InvalidInputException.class, () -> HostRules.validate(tlsOnUnix, false)).messageFor("tlsCaPem"));
        var ok = new HostInput("d1", "docker", "tcp://127.0.0.1:2376", "127.0.0.1", "", null, null, null, null);
        assertEquals(HostKind.DOCKER, HostRules.validate(ok, false).kind());
    }

    @Test
    void tlsNeedsAllThreeUnlessTheKeyIsStored() {
        String cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        var noKey = new HostInput("d1", "DOCKER", "tcp://127.0.0.1:2376", "127.0.0.1", "", true, cert, cert, "");
        assertEquals("is required with TLS",
                assertThrows(InvalidInputException.class, () -> HostRules.validate(noKey, false)).messageFor("tlsKeyPem"));
        assertNull(HostRules.validate(noKey, true).tlsKeyPem(), "an edit keeps the stored key");
    }

    @Test
    void reportsUnknownKindsBadNamesLabelsAndOversizedFields() {
        var in = new HostInput("bad name!", "VMWARE", "x".repeat(501), null, "=oops", true, null, null, null);
        var e = assertThrows(InvalidInputException.class, () -> HostRules.validate(in, false));
        assertEquals("must be KVM or DOCKER", e.messageFor("kind"));
        assertEquals("use letters, digits, dots, dashes and underscores (at most 63), starting with a letter or digit", e.messageFor("name"));
        assertEquals("is too long (at most 500 characters)", e.messageFor("uri"));
        assertEquals("'' is not a label key; write labels as key=value, separated by commas", e.messageFor("labels"));
    }
}
