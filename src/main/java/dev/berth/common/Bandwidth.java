package dev.berth.common;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Network rates as people write them: {@code 200 Mbit/s}, {@code 1 Gbit/s}, {@code 25 MiB/s}, {@code 25 MB/s},
 * {@code unlimited}. Bits ("bit", "b", "bps") are decimal as networks count them (1 Mbit = 10⁶ bits); bytes follow
 * {@link ByteSize} ("MiB" binary, "MB" decimal). Kept in bytes per second; 0 means unlimited.
 */
public final class Bandwidth {
    /** Below this a TCP connection barely works; a cap this low is a typo. */
    public static final long MIN_BYTES_PER_SECOND = 8 * 1024;
    private static final Pattern BITS = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kKmMgGtT]?)(?:bit/s|bit|bps|Bit/s)");
    private static final String POWERS = "kmgt";

    private Bandwidth() {
    }

    /** @throws IllegalArgumentException with a message fit for a form */
    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            return 0;
        }
        String t = text.trim();
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.equals("unlimited") || lower.equals("none") || lower.equals("0")) {
            return 0;
        }
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("must not be negative");
        }
        long bytes;
        Matcher m = BITS.matcher(t);
        if (m.matches()) {
            int power = m.group(2).isEmpty() ? 0 : POWERS.indexOf(m.group(2).toLowerCase(Locale.ROOT)) + 1;
            BigDecimal bits = new BigDecimal(m.group(1)).multiply(BigDecimal.TEN.pow(3 * power));
            if (bits.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
                throw new IllegalArgumentException("'" + t + "' is too large");
            }
            bytes = bits.divide(BigDecimal.valueOf(8), 0, RoundingMode.HALF_UP).longValueExact();
        } else {
            try {
                bytes = ByteSize.parse(t); // accepts an optional "/s"
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + t + "' is not a rate; write it like 200 Mbit/s, 25 MiB/s or unlimited");
            }
        }
        if (bytes < MIN_BYTES_PER_SECOND) {
            throw new IllegalArgumentException("must be at least 64 kbit/s (8 KiB/s), or unlimited");
        }
        return bytes;
    }

    /** Exactly, so that it parses back to the same bytes: binary bytes, else decimal bits, else bytes. */
    public static String formatExact(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            return "unlimited";
        }
        String[] binary = {"KiB/s", "MiB/s", "GiB/s", "TiB/s"};
        for (int p = binary.length; p >= 1; p--) {
            if (bytesPerSecond % (1L << (10 * p)) == 0) {
                return bytesPerSecond / (1L << (10 * p)) + " " + binary[p - 1];
            }
        }
        long bits = bytesPerSecond * 8;
        String[] decimal = {"kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
        for (int p = decimal.length; p >= 1; p--) {
            long unit = BigDecimal.TEN.pow(3 * p).longValueExact();
            if (bits % unit == 0) {
                return bits / unit + " " + decimal[p - 1];
            }
        }
        return bytesPerSecond + " B/s";
    }

    /** For display: "20 MiB/s (168 Mbit/s)". Rounds. */
    public static String format(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            return "unlimited";
        }
        return ByteSize.format(bytesPerSecond) + "/s (" + bits(bytesPerSecond) + ")";
    }

    /** A measured rate, for display: "19.8 MiB/s". */
    public static String formatRate(double bytesPerSecond) {
        return ByteSize.format(Math.round(bytesPerSecond)) + "/s";
    }

    private static String bits(long bytesPerSecond) {
        double bits = bytesPerSecond * 8.0;
        String[] units = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
        int u = 0;
        while (bits >= 1000 && u < units.length - 1) {
            bits /= 1000;
            u++;
        }
        return BigDecimal.valueOf(bits).setScale(bits < 10 ? 1 : 0, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString() + " " + units[u];
    }
}
