package dev.berth.compute;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A console ticket as stored: its SHA-256 (never the ticket), whom and what it is for, and when it was used.
 * Kept in the database so a ticket issued by one replica is redeemable, once, on any other.
 */
@Entity
@Table(name = "console_ticket")
public class ConsoleTicket extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "ticket_hash", nullable = false, unique = true)
    public String ticketHash;
    @Column(nullable = false)
    public String username;
    /** The machine's tenant (an admin's ticket names the tenant whose machine it opens). */
    public String tenant;
    @Column(name = "machine_id", nullable = false)
    public Long machineId;
    @Column(name = "machine_name", nullable = false)
    public String machineName;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
    @Column(name = "expires_at", nullable = false)
    public Instant expiresAt;
    @Column(name = "used_at")
    public Instant usedAt;
}
