package dev.berth.common;

import io.smallrye.config.ConfigMapping;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts secrets for storage in the database (AES-256-GCM from the JDK, random 96-bit nonce per value).
 * The stored form is {@code v1:<base64(nonce || ciphertext+tag)>}; the version prefix lets the key rotate later.
 */
@ApplicationScoped
public class SecretBox {
    private static final String PREFIX = "v1:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    @ConfigMapping(prefix = "berth.secrets")
    public interface Config {
        /** Base64 of 32 random bytes, e.g. {@code openssl rand -base64 32}. */
        String key();
    }

    public SecretBox(Config config) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(config.key().trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("berth.secrets.key is not base64");
        }
        if (raw.length != 32) {
            throw new IllegalStateException("berth.secrets.key must be 32 bytes (base64 of 32 random bytes), not " + raw.length);
        }
        this.key = new SecretKeySpec(raw, "AES");
    }

    public String seal(String plain) {
        if (plain == null) {
            return null;
        }
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            return PREFIX + Base64.getEncoder().encodeToString(ByteBuffer.allocate(nonce.length + sealed.length)
                    .put(nonce).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt a secret", e);
        }
    }

    /** @throws IllegalStateException when the value was not sealed with this key (tampered, or another key) */
    public String open(String sealed) {
        if (sealed == null) {
            return null;
        }
        if (!sealed.startsWith(PREFIX)) {
            throw new IllegalStateException("not a sealed secret");
        }
        try {
            byte[] all = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, NONCE_BYTES));
            return new String(cipher.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot decrypt a secret: wrong berth.secrets.key or tampered value");
        }
    }
}
