package dev.berth.support;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/** Requests as one demo user, JSON in and out. */
public final class Api {
    private Api() {
    }

    public static RequestSpecification as(DemoUser user) {
        return given().auth().oauth2(user.token()).contentType(ContentType.JSON).accept(ContentType.JSON);
    }

    /** A form post as a browser sends it, from the portal's own origin. */
    public static RequestSpecification form(DemoUser user) {
        return given().auth().oauth2(user.token()).redirects().follow(false)
                .contentType("application/x-www-form-urlencoded");
    }

    public static String unique(String prefix) {
        return prefix + "-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    }
}
