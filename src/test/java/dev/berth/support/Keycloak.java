package dev.berth.support;

import static io.restassured.RestAssured.given;

import io.restassured.path.json.JsonPath;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Tokens from the real Keycloak started by ./berth (direct access grant on the portal's client), cached per user
 * until a minute before they expire: a suite longer than the realm's token lifetime must not start getting 401s.
 */
public final class Keycloak {
    private static final long MARGIN_NANOS = 60_000_000_000L;
    private static final Map<String, Token> TOKENS = new ConcurrentHashMap<>();

    private record Token(String value, long freshUntilNanos) {
    }

    private Keycloak() {
    }

    public static String realmUrl() {
        return ConfigProvider.getConfig().getValue("berth.oidc.url", String.class);
    }

    public static String accessToken(DemoUser user) {
        return TOKENS.compute(user.username(), (name, cached) ->
                cached != null && System.nanoTime() < cached.freshUntilNanos() ? cached : fetch(user)).value();
    }

    private static Token fetch(DemoUser user) {
        long asked = System.nanoTime();
        JsonPath answer = given()
                .formParam("grant_type", "password")
                .formParam("client_id", config("berth.oidc.client-id"))
                .formParam("client_secret", config("berth.oidc.secret"))
                .formParam("username", user.username())
                .formParam("password", user.password())
                .formParam("scope", "openid")
                .when().post(realmUrl() + "/protocol/openid-connect/token")
                .then().statusCode(200)
                .extract().jsonPath();
        long lifetimeNanos = answer.getLong("expires_in") * 1_000_000_000L;
        return new Token(answer.getString("access_token"), asked + Math.max(0, lifetimeNanos - MARGIN_NANOS));
    }

    private static String config(String name) {
        return ConfigProvider.getConfig().getValue(name, String.class);
    }
}
