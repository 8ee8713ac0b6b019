package dev.berth.audit;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

@Entity
@Table(name = "audit_event")
public class AuditEvent extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(nullable = false)
    public Instant at;
    @Column(nullable = false)
    public String actor;
    public String tenant;
    @Column(nullable = false)
    public String action;
    public String target;
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public Outcome outcome;
    public String reason;
    @Column(name = "request_id")
    public String requestId;
}
