import org.elasticsearch.bootstrap.BootstrapInfo;
import org.elasticsearch.bootstrap.ServerArgs;
import org.elasticsearch.common.io.stream.OutputStreamStreamOutput;
import org.elasticsearch.common.settings.KeyStoreWrapper;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts an Elasticsearch 9 server JVM for the test harness. Elasticsearch's own launcher
 * (cli-launcher + server-cli) is not published on Maven Central, so this does the part of its job a
 * single test node needs: read the node settings, build the server's command line from
 * `jvm.options` in the config directory (one option per line) and $ES_JAVA_OPTS, start the server
 * on the module path and hand it its arguments over stdin. On exit it asks the server to shut down.
 *
 * System properties: es.path.home, es.path.conf. Argument: the pid file to write.
 */
public final class ServerLauncher {
    private ServerLauncher() {}

    public static void main(String[] args) throws Exception {
        Path home = Path.of(System.getProperty("es.path.home")).toAbsolutePath();
        Path conf = Path.of(System.getProperty("es.path.conf")).toAbsolutePath();
        Path pidFile = args.length > 0 ? Path.of(args[0]).toAbsolutePath() : null;

        Settings initial = Settings.builder().put("path.home", home.toString()).build();
        Environment env = InternalSettingsPreparer.prepareEnvironment(initial, Map.of(), conf, () -> "node");
        KeyStoreWrapper keystore = KeyStoreWrapper.load(conf);
        if (keystore == null) {
            keystore = KeyStoreWrapper.create();
        } else {
            keystore.decrypt(new char[0]);
        }
        ServerArgs serverArgs = new ServerArgs(false, false, pidFile, keystore, env.settings(), env.configDir(), env.logsDir());

        Path tmp = Path.of(System.getenv().getOrDefault("ES_TMPDIR", Files.createTempDirectory("es-").toString()));
        ProcessBuilder builder = new ProcessBuilder(command(home, conf, env.logsDir(), tmp)).directory(home.toFile());
        builder.environment().remove("ES_JAVA_OPTS");
        builder.environment().putIfAbsent("LIBFFI_TMPDIR", tmp.toString());
        builder.redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
        Process server = builder.start();

        OutputStream stdin = server.getOutputStream();
        OutputStreamStreamOutput out = new OutputStreamStreamOutput(stdin);
        serverArgs.writeTo(out);
        out.flush();
        // The server stops when it reads the shutdown marker on its stdin.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stdin.write(BootstrapInfo.SERVER_SHUTDOWN_MARKER);
                stdin.flush();
                server.waitFor();
            } catch (IOException | InterruptedException ignored) {
                server.destroy();
            }
        }));
        System.exit(server.waitFor());
    }

    private static List<String> command(Path home, Path conf, Path logs, Path tmp) throws IOException {
        Path bridge;
        try (var jars = Files.list(home.resolve("lib/entitlement-bridge"))) {
            bridge = jars.filter(p -> p.toString().endsWith(".jar")).findFirst().orElseThrow();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(
            "-Des.path.home=" + home,
            "-Des.distribution.type=zip",
            "-Des.java.type=ES_JAVA_HOME",
            "-Des.networkaddress.cache.ttl=60",
            "-Des.networkaddress.cache.negative.ttl=10",
            "-Xss1m",
            "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF-8",
            "-Djna.nosys=true",
            "-Dio.netty.noUnsafe=true",
            "-Dio.netty.noKeySetOptimization=true",
            "-Dio.netty.recycler.maxCapacityPerThread=0",
            "-Dlog4j.shutdownHookEnabled=false",
            "-Dlog4j2.disable.jmx=true",
            "-Dlog4j2.formatMsgNoLookups=true",
            "-Djava.locale.providers=CLDR",
            "-Djava.io.tmpdir=" + tmp,
            "-XX:ReplayDataFile=" + logs.resolve("replay_pid%p.log"),
            "--enable-native-access=org.elasticsearch.nativeaccess,org.elasticsearch.foreign,org.apache.lucene.core",
            "--enable-native-access=ALL-UNNAMED",
            // entitlements: the server attaches its agent to itself; the bridge is patched into java.base
            "-XX:+EnableDynamicAgentLoading",
            "-Djdk.attach.allowAttachSelf=true",
            "--patch-module=java.base=" + bridge,
            "--add-exports=java.base/org.elasticsearch.entitlement.bridge=org.elasticsearch.entitlement,java.logging,java.net.http,java.naming,jdk.net,jdk.zipfs"
        ));
        for (String line : Files.readAllLines(conf.resolve("jvm.options"))) {
            String option = line.strip();
            if (!option.isEmpty() && !option.startsWith("#")) cmd.add(option);
        }
        String extra = System.getenv("ES_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
        cmd.addAll(List.of(
            "--module-path", home.resolve("lib").toString(),
            "--add-modules=jdk.net",
            "--add-modules=ALL-MODULE-PATH",
            "-m", "org.elasticsearch.server/org.elasticsearch.bootstrap.Elasticsearch"
        ));
        return cmd;
    }
}
