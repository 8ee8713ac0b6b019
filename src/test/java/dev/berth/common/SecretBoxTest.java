package dev.berth.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

@Tag(DatabasePass.INDEPENDENT)
class SecretBoxTest {
    static SecretBox box(byte fill) {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, fill);
        String b64 = Base64.getEncoder().encodeToString(key);
        return new SecretBox(() -> b64);
    }

    @Test
    void sealsAndOpens() {
        SecretBox box = box((byte) 1);
        String sealed = box.seal("-----BEGIN PRIVATE KEY-----secret");
        assertFalse(sealed.contains("secret"));
        assertEquals("-----BEGIN PRIVATE KEY-----secret", box.open(sealed));
        assertNotEquals(sealed, box.seal("-----BEGIN PRIVATE KEY-----secret"), "a fresh nonce every time");
    }

    @Test
    void anotherKeyOrATamperedValueIsRefused() {
        String sealed = box((byte) 1).seal("secret");
        assertThrows(IllegalStateException.class, () -> box((byte) 2).open(sealed));
        char[] chars = sealed.toCharArray();
        chars[10] = chars[10] == 'A' ? 'B' : 'A';
        assertThrows(IllegalStateException.class, () -> box((byte) 1).open(new String(chars)));
    }

    @Test
    void aKeyOfTheWrongSizeStopsStartUp() {
        assertThrows(IllegalStateException.class, () -> new SecretBox(() -> Base64.getEncoder().encodeToString(new byte[16])));
        assertThrows(IllegalStateException.class, () -> new SecretBox(() -> "not base64!"));
    }
}
