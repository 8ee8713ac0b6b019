package dev.berth.storage.key;

import java.security.SecureRandom;

/** New access keys and secrets: random letters and digits, nothing a shell or a config file needs to quote. */
public final class Credentials {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String ALL = UPPER + "abcdefghijklmnopqrstuvwxyz";

    private Credentials() {
    }

    /** 20 characters, MinIO's longest service-account access key; "BK" marks keys Berth made. */
    public static String accessKey() {
        return "BK" + random(UPPER, 18);
    }

    /** 40 characters (≈238 bits), MinIO's longest secret. */
    public static String secretKey() {
        return random(ALL, 40);
    }

    private static String random(String alphabet, int length) {
        var b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return b.toString();
    }
}
