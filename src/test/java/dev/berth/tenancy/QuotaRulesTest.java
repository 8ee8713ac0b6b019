package dev.berth.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.common.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

@Tag(DatabasePass.INDEPENDENT)
class QuotaRulesTest {
    static QuotaInput valid() {
        return new QuotaInput("10", "32", "64GiB", "20", "80 GiB", "100GiB", "20", "1.5", "1G", "100M", "50MB");
    }

    @Test
    void acceptsUnitsAsPeopleWriteThem() {
        QuotaLimits l = QuotaRules.validate(valid());
        assertEquals(10, l.vms());
        assertEquals(64L << 30, l.memoryBytes());
        assertEquals(80L << 30, l.storageSoftBytes());
        assertEquals(1500, l.containerMilliCpus());
        assertEquals(1L << 30, l.containerMemoryBytes());
        assertEquals(100L << 20, l.containerReadBps());
        assertEquals(50_000_000L, l.containerWriteBps());
    }

    @Test
    void theNetworkCapIsUnlimitedUnlessGivenAndReadsBitsOrBytes() {
        assertEquals(0, QuotaRules.validate(valid()).networkRate());
        var v = valid();
        var capped = new QuotaInput(v.vms(), v.vcpus(), v.memory(), v.buckets(), v.storageSoft(), v.storageHard(), v.accessKeys(),
                v.containerCpus(), v.containerMemory(), v.containerReadBps(), v.containerWriteBps(), "200 Mbit/s", v.disk());
        QuotaLimits l = QuotaRules.validate(capped);
        assertEquals(25_000_000L, l.networkRate());
        assertEquals("200 Mbit/s", l.asInput().networkBandwidth());
        assertEquals(l, QuotaRules.validate(l.asInput()));
        var bad = new QuotaInput(v.vms(), v.vcpus(), v.memory(), v.buckets(), v.storageSoft(), v.storageHard(), v.accessKeys(),
                v.containerCpus(), v.containerMemory(), v.containerReadBps(), v.containerWriteBps(), "lots", v.disk());
        assertEquals("'lots' is not a rate; write it like 200 Mbit/s, 25 MiB/s or unlimited",
                assertThrows(InvalidInputException.class, () -> QuotaRules.validate(bad)).messageFor("networkBandwidth"));
    }

    @Test
    void roundTripsThroughTheForm() {
        QuotaLimits l = QuotaRules.validate(valid());
        assertEquals(l, QuotaRules.validate(l.asInput()));
    }

    @Test
    void reportsEveryBrokenRuleByField() {
        var in = new QuotaInput("-1", "x", "12 parsecs", "", "200GiB", "100GiB", "100001", "0", "64M", "-5M", "1.5");
        var e = assertThrows(InvalidInputException.class, () -> QuotaRules.validate(in));
        assertEquals("must not be negative", e.messageFor("vms"));
        assertEquals("'x' is not a whole number", e.messageFor("vcpus"));
        assertEquals("'12 parsecs' is not a size; write it like 500M, 20 GiB or 1.5T", e.messageFor("memory"));
        assertEquals("is required", e.messageFor("buckets"));
        assertEquals("must not be larger than the hard limit (100 GiB)", e.messageFor("storageSoft"));
        assertEquals("must be at most 100000", e.messageFor("accessKeys"));
        assertEquals("must be more than 0", e.messageFor("containerCpus"));
        assertEquals("must be at least 128 MiB for MinIO to run", e.messageFor("containerMemory"));
        assertEquals("must not be negative", e.messageFor("containerReadBps"));
        assertEquals("'1.5' is not a whole number of bytes", e.messageFor("containerWriteBps"));
    }

    @Test
    void meterLevels() {
        var q = QuotaRules.validate(valid());
        var meters = Meter.of(q, new TenantUsage(9, 32, 0, 0, 85L << 30, 0));
        assertEquals(Meter.Level.WARNING, meters.get(0).level()); // 9 of 10 machines: past 80 %
        assertEquals(Meter.Level.FULL, meters.get(1).level());    // 32 of 32 vCPUs
        assertEquals(Meter.Level.OK, meters.get(2).level());
        assertEquals(Meter.Level.WARNING, meters.get(4).level()); // storage past the soft limit
        assertEquals(85, meters.get(4).percent());
    }
}
