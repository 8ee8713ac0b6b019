package dev.berth.common;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as people write them: {@code 500M}, {@code 20 GiB}, {@code 1.5T}, {@code 300MB}, {@code 1048576}.
 * A bare letter or an "iB" unit is binary (K = 1024, as Docker and MinIO read "500M"); "KB", "MB", … are
 * decimal (SI). An optional "/s" suffix is accepted for rates.
 */
public final class ByteSize {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgtpe]?)(i?b?)?(?:/s)?");
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    private static final String POWERS = "kmgtpe";

    private ByteSize() {
    }

    /** @throws IllegalArgumentException with a message fit for a form when the text is not a size */
    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("is required");
        }
        Matcher m = FORM.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text.trim() + "' is not a size; write it like 500M, 20 GiB or 1.5T");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String prefix = m.group(2);
        String suffix = m.group(3) == null ? "" : m.group(3);
        if (prefix.isEmpty() && suffix.equals("i")) {
            throw new IllegalArgumentException("'" + text.trim() + "' is not a size; write it like 500M, 20 GiB or 1.5T");
        }
        int power = prefix.isEmpty() ? 0 : POWERS.indexOf(prefix) + 1;
        boolean decimal = suffix.equals("b") && power > 0; // "MB" is SI; "M", "MiB" are binary
        BigDecimal base = BigDecimal.valueOf(decimal ? 1000 : 1024);
        BigDecimal bytes = number.multiply(base.pow(power));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text.trim() + "' is too large");
        }
        if (power == 0 && bytes.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("'" + text.trim() + "' is not a whole number of bytes");
        }
        return bytes.setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /**
     * Exactly, in the largest unit that divides it (binary first, then SI): for form fields, where a
     * value must parse back to the same number of bytes. 50000000 → "50 MB", 1610612736 → "1536 MiB".
     */
    public static String formatExact(long bytes) {
        for (int power = UNITS.length - 1; power > 0; power--) {
            long binary = 1L << (10 * power);
            if (bytes != 0 && bytes % binary == 0) {
                return (bytes / binary) + " " + UNITS[power];
            }
        }
        String[] si = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
        for (int power = si.length - 1; power > 0; power--) {
            long decimal = BigDecimal.TEN.pow(3 * power).longValue();
            if (bytes != 0 && bytes % decimal == 0) {
                return (bytes / decimal) + " " + si[power];
            }
        }
        return String.valueOf(bytes);
    }

    /** Binary units, at most one decimal: 1.5 GiB, 500 MiB, 0 B. For display only: it rounds. */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = 0;
        BigDecimal value = BigDecimal.valueOf(bytes);
        BigDecimal k = BigDecimal.valueOf(1024);
        while (value.compareTo(k) >= 0 && unit < UNITS.length - 1) {
            value = value.divide(k);
            unit++;
        }
        return value.setScale(1, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString() + " " + UNITS[unit];
    }
}
