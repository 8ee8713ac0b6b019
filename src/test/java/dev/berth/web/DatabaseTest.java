package dev.berth.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Proves which database a test run really used: H2 by default, PostgreSQL in the second run. */
@QuarkusTest
class DatabaseTest {
    @Inject
    AgroalDataSource dataSource;

    @Test
    void theRunUsesTheDatabaseItClaims() throws SQLException {
        String expected = System.getProperty("berth.test.database", "H2");
        try (var connection = dataSource.getConnection()) {
            assertEquals(expected, connection.getMetaData().getDatabaseProductName());
            try (var rs = connection.createStatement().executeQuery("select count(*) from \"flyway_schema_history\" where \"success\"")) {
                rs.next();
                assertTrue(rs.getInt(1) >= 1, "Flyway migrations ran");
            }
        }
    }
}
