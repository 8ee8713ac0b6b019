package dev.berth.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.support.DatabasePass;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag(DatabasePass.INDEPENDENT)
class BandwidthTest {
    @Test
    void readsBitsAsNetworksCountThemAndBytesAsSizesDo() {
        assertEquals(25_000_000L, Bandwidth.parse("200 Mbit/s"));
        assertEquals(25_000_000L, Bandwidth.parse("200Mbps"));
        assertEquals(125_000_000L, Bandwidth.parse("1 Gbit/s"));
        assertEquals(25L << 20, Bandwidth.parse("25 MiB/s"));
        assertEquals(25_000_000L, Bandwidth.parse("25 MB/s"));
        assertEquals(20L << 20, Bandwidth.parse("20M/s"));
        assertEquals(0, Bandwidth.parse("unlimited"));
        assertEquals(0, Bandwidth.parse(" Unlimited "));
        assertEquals(0, Bandwidth.parse(null));
        assertEquals(0, Bandwidth.parse(""));
        assertEquals(0, Bandwidth.parse("0"));
    }

    @Test
    void refusesWhatIsNotARate() {
        assertEquals("'fast' is not a rate; write it like 200 Mbit/s, 25 MiB/s or unlimited",
                assertThrows(IllegalArgumentException.class, () -> Bandwidth.parse("fast")).getMessage());
        assertEquals("must not be negative", assertThrows(IllegalArgumentException.class, () -> Bandwidth.parse("-5 MiB/s")).getMessage());
        assertEquals("must be at least 64 kbit/s (8 KiB/s), or unlimited",
                assertThrows(IllegalArgumentException.class, () -> Bandwidth.parse("1 kbit/s")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Bandwidth.parse("99999999999999 Tbit/s"));
    }

    @Test
    void writesItBackSoThatItParsesToTheSameBytes() {
        for (String s : new String[] {"200 Mbit/s", "25 MiB/s", "1 Gbit/s", "25 MB/s", "12345 B/s", "unlimited", "1.5 Gbit/s"}) {
            long bytes = Bandwidth.parse(s);
            assertEquals(bytes, Bandwidth.parse(Bandwidth.formatExact(bytes)), s + " → " + Bandwidth.formatExact(bytes));
        }
        assertEquals("200 Mbit/s", Bandwidth.formatExact(Bandwidth.parse("200 Mbit/s")));
        assertEquals("25 MiB/s", Bandwidth.formatExact(Bandwidth.parse("25 MiB/s")));
        assertEquals("20 MiB/s (168 Mbit/s)", Bandwidth.format(20L << 20));
        assertEquals("unlimited", Bandwidth.format(0));
    }
}
