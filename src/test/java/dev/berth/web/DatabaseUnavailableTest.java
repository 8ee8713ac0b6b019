package dev.berth.web;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DatabasePass;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.hibernate.exception.ConstraintViolationException;
import org.hibernate.exception.GenericJDBCException;
import org.hibernate.exception.JDBCConnectionException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Which failures say "the database is away" (503, worth retrying) rather than "Berth has a bug" (500). The states are
 * those PostgreSQL's driver gave in DependencyRestartIT while its server was stopped and started.
 */
@Tag(DatabasePass.INDEPENDENT)
class DatabaseUnavailableTest {
    @Test
    void connectionFailuresAndServerShutdownsAreUnavailability() {
        assertTrue(ErrorMappers.databaseUnavailable(new SQLException("Connection to 127.0.0.1:5432 refused", "08001")));
        assertTrue(ErrorMappers.databaseUnavailable(new SQLException("This connection has been closed.", "08003")));
        assertTrue(ErrorMappers.databaseUnavailable(new SQLException("An I/O error occurred while sending to the backend.", "08006")));
        assertTrue(ErrorMappers.databaseUnavailable(new GenericJDBCException("select …",
                new SQLException("FATAL: terminating connection due to administrator command", "57P01"))));
        assertTrue(ErrorMappers.databaseUnavailable(new SQLException("the database system is starting up", "57P03")));
        assertTrue(ErrorMappers.databaseUnavailable(new JDBCConnectionException("Unable to acquire JDBC Connection", new SQLException("x"))));
        assertTrue(ErrorMappers.databaseUnavailable(new SQLTransientConnectionException("Sorry, acquisition timeout!")));
    }

    @Test
    void otherDatabaseErrorsAreNot() {
        assertFalse(ErrorMappers.databaseUnavailable(new SQLException("duplicate key", "23505")));
        assertFalse(ErrorMappers.databaseUnavailable(new ConstraintViolationException("dup", new SQLException("dup", "23505"), "uk")));
        assertFalse(ErrorMappers.databaseUnavailable(new SQLException("syntax error", "42601")));
        assertFalse(ErrorMappers.databaseUnavailable(new SQLException("no state")));
        assertFalse(ErrorMappers.databaseUnavailable(new IllegalStateException("a bug")));
    }
}
