package org.elasticsearch.entitlement.agent;

import java.lang.instrument.Instrumentation;

/**
 * The Java agent Elasticsearch 9 attaches to itself at start-up. It only hands the JVM's
 * Instrumentation to the server's entitlement initialisation (which lives in the published
 * elasticsearch-entitlement jar); the agent jar itself is not published on Maven Central.
 */
public final class EntitlementAgent {
    private EntitlementAgent() {}

    public static void agentmain(String args, Instrumentation instrumentation) throws ReflectiveOperationException {
        Class.forName("org.elasticsearch.entitlement.initialization.EntitlementInitialization")
            .getMethod("initialize", Instrumentation.class)
            .invoke(null, instrumentation);
    }
}
