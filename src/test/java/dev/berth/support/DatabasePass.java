package dev.berth.support;

/**
 * JUnit tags that choose the surefire pass a test class runs in (pom.xml runs the suite on H2, then on PostgreSQL).
 * The PostgreSQL pass exists for what touches the database; repeating the rest only costs CI time.
 */
public final class DatabasePass {
    /** Never touches Berth's database (plain unit and connector tests, real-backend tests): H2 pass only. */
    public static final String INDEPENDENT = "database-independent";
    /** Slow, and the database is part of what it probes: once, on PostgreSQL, production's database. */
    public static final String POSTGRESQL_ONLY = "postgresql-only";

    private DatabasePass() {
    }
}
