package dev.berth.support;

import static io.restassured.RestAssured.given;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.ConfigProvider;

/** Tokens from the real Keycloak started by ./berth (direct access grant on the portal's client). */
public final class Keycloak {
    private static final Map<String, String> TOKENS = new ConcurrentHashMap<>();

    private Keycloak() {
    }

    public static String realmUrl() {
        return ConfigProvider.getConfig().getValue("berth.oidc.url", String.class);
    }

    public static String accessToken(DemoUser user) {
        return TOKENS.computeIfAbsent(user.username(), u -> given()
                .formParam("grant_type", "password")
                .formParam("client_id", config("berth.oidc.client-id"))
                .formParam("client_secret", config("berth.oidc.secret"))
                .formParam("username", user.username())
                .formParam("password", user.password())
                .formParam("scope", "openid")
                .when().post(realmUrl() + "/protocol/openid-connect/token")
                .then().statusCode(200)
                .extract().path("access_token"));
    }

    private static String config(String name) {
        return ConfigProvider.getConfig().getValue(name, String.class);
    }
}
