package dev.berth.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

@Tag(DatabasePass.INDEPENDENT)
class ByteSizeTest {
    @ParameterizedTest
    @CsvSource({
            "500M, 524288000",
            "20 GiB, 21474836480",
            "1.5T, 1649267441664",
            "300MB, 300000000",
            "1048576, 1048576",
            "0, 0",
            "2 gib, 2147483648",
            "100MiB/s, 104857600",
            "1k, 1024",
            "1 KB, 1000",
            "10 B, 10",
            "5Mi, 5242880"})
    void parsesSizesAsPeopleWriteThem(String text, long bytes) {
        assertEquals(bytes, ByteSize.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "abc", "-5M", "5 X", "1.2.3G", "0.5", "99999999999E", "i"})
    void refusesWhatIsNotASize(String text) {
        var e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
        assertTrue(!e.getMessage().isBlank());
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "50000000, 50 MB", "1610612736, 1536 MiB", "1649267441664, 1536 GiB", "1000, 1 KB", "1001, 1001"})
    void formatsExactlyForForms(long bytes, String text) {
        assertEquals(text, ByteSize.formatExact(bytes));
        assertEquals(bytes, ByteSize.parse(text));
    }

    @ParameterizedTest
    @CsvSource({"0, 0 B", "1023, 1023 B", "1024, 1 KiB", "1572864, 1.5 MiB", "21474836480, 20 GiB", "1649267441664, 1.5 TiB"})
    void formatsInBinaryUnitsThatParseBack(long bytes, String text) {
        assertEquals(text, ByteSize.format(bytes));
        assertEquals(bytes, ByteSize.parse(text));
    }
}
