package dev.berth.storage.key;

import java.util.Locale;
import java.util.Optional;

/** What a key may do in its one bucket. */
public enum KeyMode {
    READ_ONLY("read-only"), READ_WRITE("read-write");

    private final String label;

    KeyMode(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** "read-only", "ro", "READ_ONLY", … */
    public static Optional<KeyMode> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        return switch (text.trim().toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "read-only", "readonly", "ro" -> Optional.of(READ_ONLY);
            case "read-write", "readwrite", "rw" -> Optional.of(READ_WRITE);
            default -> Optional.empty();
        };
    }
}
