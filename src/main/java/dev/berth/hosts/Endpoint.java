package dev.berth.hosts;

/**
 * How to reach a host: its connection URI and, for Docker over TCP, the TLS material (PEM text).
 *
 * @param tls null when the endpoint needs none (unix sockets, libvirt URIs)
 */
public record Endpoint(String uri, TlsMaterial tls) {
    /** Client TLS for a Docker engine on tcp://: the CA that signed the engine, and our client cert and key. */
    public record TlsMaterial(String caPem, String certPem, String keyPem) {
        @Override
        public String toString() {
            return "TlsMaterial[key hidden]"; // the key is a secret: never in logs
        }
    }
}
