/*
 * harness.groovy: a stand-in for a Jenkins controller running a declarative pipeline.
 *
 * It evaluates a declarative Jenkinsfile (one `pipeline { ... }` block) by defining the DSL in
 * plain Groovy (2.4, the version Jenkins embeds), and runs every `sh` step for real, in order,
 * with bash in the given working directory (the "workspace").
 * It mimics what a multibranch Jenkins job does: the Jenkins environment (BRANCH_NAME, CHANGE_*,
 * TAG_NAME, WORKSPACE, BUILD_NUMBER, JOB_NAME), `when` conditions, `environment` and
 * `withCredentials` bindings (from a JSON file, values masked as **** in the console), stage and
 * build results, `post` conditions, `catchError`/`retry`/`timeout`, JUnit results (failed tests
 * make the build UNSTABLE) and the declarative checks done before a build starts (agent and
 * stages required, one of steps/stages/parallel per stage, unique stage names).
 *
 * What it does NOT do: no agents, nodes or Docker (a docker agent is recorded and the steps run
 * on the host), no SCM checkout (`checkout scm` is recorded; the workspace is used as it is), no
 * parallelism (parallel branches run one after the other), no CPS/sandbox restrictions, no script
 * approval, no shared libraries, no `input`, `matrix`, `build` or `changeset`. junit,
 * archiveArtifacts and stash find their files (junit parses them) and record them, nothing is
 * published; publishHTML, recordIssues, lock, checkout, cleanWs and deleteDir are only recorded
 * (nothing is deleted). Only the steps defined below exist: any other step fails loudly with
 * "unsupported step: NAME" when it is reached (Jenkins rejects it before the build starts).
 *
 * Usage: groovy harness.groovy --workdir DIR --report REPORT.json [--credentials CREDS.json]
 *                               [--params PARAMS.json] [--previous-result RESULT] Jenkinsfile
 * The Jenkins variables come from the process environment (BRANCH_NAME, CHANGE_ID, ...); the steps
 * see that environment too, less the names listed in HARNESS_DROP_ENV (settings for this JVM only).
 * Writes the JSON report (result, agent, options, stages, steps, post, error) and prints the console
 * log, credentials masked as ****, on stdout. runner.py is the Python API around it.
 * Exit code: 0 SUCCESS, 3 UNSTABLE, 1 any other result, 2 bad usage.
 */
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import org.codehaus.groovy.control.CompilerConfiguration

/** A failure of the build (a step failed); the message is what Jenkins prints after ERROR:. */
class PipelineFailure extends RuntimeException {
    PipelineFailure(String message) { super(message) }
}

/** A timeout: the build becomes ABORTED. */
class PipelineAborted extends PipelineFailure {
    PipelineAborted(String message) { super(message) }
}

/** A name the harness does not know: never caught by catchError/retry, so a typo fails loudly. */
class Unsupported extends RuntimeException {
    Unsupported(String message) { super(message) }
}

/** `any`, `none`, `scm`: values that Jenkinsfiles read as bare properties. */
class Marker {
    final String name
    Marker(String name) { this.name = name }
    String toString() { name }
}

class CredRef {
    final String id
    CredRef(String id) { this.id = id }
    String toString() { "credentials('${id}')" }
}

/**
 * Returned by section directives: `when { } steps { }` on ONE line is a Groovy method chain
 * (`when({}).steps({})`), which Jenkins rejects; say so instead of a NullPointerException.
 */
class OneLine {
    final String first
    OneLine(String first) { this.first = first }
    def methodMissing(String name, Object args) {
        throw new Unsupported("'${first} { } ${name} { }' on one line is a method chain, not two directives: " +
                              "put '${name}' on its own line")
    }
}

class Results {
    static final List<String> ORDER = ['SUCCESS', 'UNSTABLE', 'FAILURE', 'NOT_BUILT', 'ABORTED']

    static String worst(String a, String b) {
        check(a); check(b)
        ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b
    }

    static String check(String r) {
        if (!(r in ORDER)) throw new PipelineFailure("unknown build result '${r}'")
        r
    }
}

/** Jenkins' comparators for `when { branch/tag/changeRequest }` and Ant-style file patterns. */
class Match {
    static boolean compare(String comparator, String pattern, String actual) {
        if (actual == null) return false
        switch (comparator.toUpperCase()) {
            case 'EQUALS': return pattern == actual
            case 'REGEXP': return actual ==~ pattern
            case 'GLOB': return actual ==~ globRegex(pattern)
            default: throw new Unsupported("unsupported comparator: ${comparator}")
        }
    }

    /** Ant glob: `**` spans directories, `*` and `?` stay within one path segment. */
    static String globRegex(String glob) {
        StringBuilder re = new StringBuilder()
        int i = 0
        while (i < glob.length()) {
            char ch = glob.charAt(i)
            if (glob.startsWith('**/', i)) { re << '(?:.*/)?'; i += 3; continue }
            if (glob.startsWith('**', i)) { re << '.*'; i += 2; continue }
            if (ch == '*' as char) re << '[^/]*'
            else if (ch == '?' as char) re << '[^/]'
            else re << java.util.regex.Pattern.quote(String.valueOf(ch))
            i++
        }
        re.toString()
    }

    /** Files under `base` matching comma-separated Ant patterns (relative paths, sorted). */
    static List<String> files(File base, String includes, String excludes = null) {
        List<String> inc = split(includes), exc = split(excludes)
        Set<String> found = new TreeSet<String>()
        inc.each { String pattern ->
            // Walk only from the pattern's literal directory prefix (avoids walking a whole .venv).
            List<String> parts = pattern.split('/') as List
            int literal = parts.findIndexOf { it.contains('*') || it.contains('?') }
            String prefix = parts.subList(0, literal < 0 ? parts.size() - 1 : literal).join('/')
            File root = prefix ? new File(base, prefix) : base
            if (!root.exists()) return
            String re = globRegex(pattern)
            def stream = Files.walk(root.toPath())
            try {
                Iterator paths = stream.iterator()
                while (paths.hasNext()) {
                    def p = paths.next()
                    if (!Files.isRegularFile(p)) continue
                    String rel = base.toPath().relativize(p).toString().replace(File.separator, '/')
                    if (rel ==~ re && !exc.any { rel ==~ globRegex(it) }) found << rel
                }
            } finally {
                stream.close()
            }
        }
        found as List
    }

    static List<String> split(String patterns) {
        patterns ? patterns.split(',').collect { it.trim() }.findAll { it } : []
    }
}

/**
 * Records `name(args)` calls of a declarative section (options, triggers, docker agent, ...).
 * Names outside `allowed` fail loudly; `allowed == null` accepts any name (tools).
 */
class Recorder {
    final String what
    final List<String> allowed
    final List<String> valueOnly   // helpers such as logRotator(...): a value, not an entry
    final List<Map> entries = []

    Recorder(String what, List<String> allowed, List<String> valueOnly = []) {
        this.what = what; this.allowed = allowed; this.valueOnly = valueOnly
    }

    static Recorder of(Recorder r, Closure body) {
        Closure b = (Closure) body.clone()
        b.delegate = r
        b.resolveStrategy = Closure.DELEGATE_FIRST
        b.call()
        r
    }

    Map asMap() { entries.collectEntries { [(it.name): it.args] } }

    def methodMissing(String name, Object args) {
        if (!(name in valueOnly) && allowed != null && !(name in allowed)) {
            throw new Unsupported("unsupported ${what}: ${name}")
        }
        List a = args as List
        def value = a.isEmpty() ? null : a.size() == 1 ? a[0] : a
        if (name in valueOnly) return [(name): value]
        entries << [name: name, args: value]
        [(name): value]
    }
}

class AgentDef {
    static final List<String> DOCKER = ['image', 'args', 'label', 'reuseNode', 'registryUrl',
                                        'registryCredentialsId', 'alwaysPull', 'customWorkspace']
    final Map spec = [:]

    void label(String l) { spec.label = l }
    void docker(String image) { spec.docker = [image: image] }
    void docker(Closure b) { spec.docker = Recorder.of(new Recorder('docker agent option', DOCKER), b).asMap() }
    void dockerfile(boolean on) { spec.dockerfile = [:] }
    void dockerfile(Closure b) {
        spec.dockerfile = Recorder.of(new Recorder('dockerfile agent option',
            ['filename', 'dir', 'additionalBuildArgs', 'args', 'label', 'reuseNode', 'customWorkspace']), b).asMap()
    }
    void node(Closure b) {
        spec.node = Recorder.of(new Recorder('node agent option', ['label', 'customWorkspace']), b).asMap()
    }
    def methodMissing(String name, Object args) { throw new Unsupported("unsupported agent type: ${name}") }
}

/** Shared by `pipeline {}` and `stage {}`: the directives both accept. */
abstract class SectionDef {
    static final List<String> OPTIONS = ['buildDiscarder', 'checkoutToSubdirectory', 'disableConcurrentBuilds',
        'disableResume', 'durabilityHint', 'newContainerPerStage', 'overrideIndexTriggers', 'parallelsAlwaysFailFast',
        'preserveStashes', 'quietPeriod', 'retry', 'skipDefaultCheckout', 'skipStagesAfterUnstable', 'timeout',
        'timestamps', 'ansiColor', 'lock', 'rateLimitBuilds', 'copyArtifactPermission', 'disableRestartFromStage']
    Object agent
    List<Map> options = []
    List<Closure> environments = []
    List<Map> tools = []
    PostDef post
    final Controller c

    SectionDef(Controller c) { this.c = c }

    Marker getAny() { new Marker('any') }
    Marker getNone() { new Marker('none') }

    OneLine agent(Marker m) { agent = m.name; new OneLine('agent') }
    OneLine agent(Closure b) {
        AgentDef a = new AgentDef()
        c.callWith(b, a)
        agent = a.spec
        new OneLine('agent')
    }
    OneLine options(Closure b) {
        options.addAll(Recorder.of(new Recorder('option', OPTIONS, ['logRotator']), b).entries)
        new OneLine('options')
    }
    OneLine environment(Closure b) { environments << b; new OneLine('environment') }
    OneLine tools(Closure b) { tools.addAll(Recorder.of(new Recorder('tool', null), b).entries); new OneLine('tools') }
    OneLine post(Closure b) { post = PostDef.of(c, b); new OneLine('post') }

    Map option(String name) { options.find { it.name == name } }
}

class PipelineDef extends SectionDef {
    List<Map> parameters = []
    List<Map> triggers = []
    List<StageDef> stages

    PipelineDef(Controller c) { super(c) }

    OneLine parameters(Closure b) {
        parameters.addAll(Recorder.of(new Recorder('parameter type',
            ['string', 'text', 'booleanParam', 'choice', 'password']), b).entries)
        new OneLine('parameters')
    }
    OneLine triggers(Closure b) {
        triggers.addAll(Recorder.of(new Recorder('trigger',
            ['cron', 'pollSCM', 'upstream', 'githubPush', 'parameterizedCron', 'issueCommentTrigger']), b).entries)
        new OneLine('triggers')
    }
    OneLine stages(Closure b) { stages = StageDef.collectAll(c, b, null); new OneLine('stages') }
    def methodMissing(String name, Object args) { throw new Unsupported("unsupported pipeline section: ${name}") }
}

class StageDef extends SectionDef {
    final String name
    final String parent
    WhenDef when
    Closure steps
    List<StageDef> stages
    List<StageDef> parallel
    boolean failFast = false
    int bodies = 0

    StageDef(Controller c, String name, String parent) { super(c); this.name = name; this.parent = parent }

    /** Runs a `stages { stage(...) {...} ... }` body and returns the stage definitions it declares. */
    static List<StageDef> collectAll(Controller c, Closure body, String parent) {
        List<StageDef> defs = []
        c.callWith(body, new StagesDef(c, parent, defs))
        defs
    }

    String getKind() { stages != null ? 'stages' : parallel != null ? 'parallel' : 'steps' }
    List<StageDef> getChildren() { stages ?: parallel ?: [] }

    OneLine when(Closure b) { when = WhenDef.of(c, b); new OneLine('when') }
    OneLine steps(Closure b) { steps = b; bodies++; new OneLine('steps') }
    OneLine stages(Closure b) { stages = collectAll(c, b, name); bodies++; new OneLine('stages') }
    OneLine parallel(Closure b) { parallel = collectAll(c, b, name); bodies++; new OneLine('parallel') }
    OneLine failFast(boolean f) { failFast = f; new OneLine('failFast') }
    def methodMissing(String name, Object args) {
        throw new Unsupported("unsupported stage directive: ${name} (in stage '${this.name}')")
    }
}

class StagesDef {
    final Controller c
    final String parent
    final List<StageDef> defs

    StagesDef(Controller c, String parent, List<StageDef> defs) { this.c = c; this.parent = parent; this.defs = defs }

    void stage(String name, Closure body) {
        StageDef s = new StageDef(c, name, parent)
        c.callWith(body, s)
        defs << s
    }
    def methodMissing(String name, Object args) { throw new Unsupported("unsupported in stages: ${name} (expected stage)") }
}

class PostDef {
    // Jenkins' order (BuildCondition ordinals), which is also the order they run in.
    static final List<String> ORDER = ['always', 'changed', 'fixed', 'regression', 'aborted', 'failure', 'success',
                                       'unsuccessful', 'unstable', 'notBuilt', 'cleanup']
    final Map<String, Closure> blocks = [:]

    static PostDef of(Controller c, Closure body) {
        PostDef p = new PostDef()
        c.callWith(body, p)
        p
    }

    def methodMissing(String name, Object args) {
        List a = args as List
        if (!(name in ORDER) || a.size() != 1 || !(a[0] instanceof Closure)) {
            throw new Unsupported("unsupported post condition: ${name}")
        }
        blocks[name] = (Closure) a[0]
    }
}

class WhenDef {
    final Controller c
    final List<Map> conds = []   // [desc: String, test: Closure<Boolean>]
    boolean beforeAgent, beforeInput, beforeOptions

    WhenDef(Controller c) { this.c = c }

    static WhenDef of(Controller c, Closure body) {
        WhenDef w = new WhenDef(c)
        c.callWith(body, w)
        w
    }

    boolean test() { conds.every { it.test() } }
    String describe() { conds*.desc.join(', ') }
    private void add(String desc, Closure test) { conds << [desc: desc, test: test] }

    void branch(String pattern) { branch(pattern: pattern) }
    void branch(Map m) {
        String cmp = m.comparator ?: 'GLOB'
        add("branch '${m.pattern}'") { Match.compare(cmp, m.pattern as String, c.envGet('BRANCH_NAME')) }
    }
    void tag(String pattern) { tag(pattern: pattern) }
    void tag(Map m) {
        String cmp = m.comparator ?: 'GLOB'
        add("tag '${m.pattern}'") { Match.compare(cmp, m.pattern as String, c.envGet('TAG_NAME')) }
    }
    void buildingTag() { add('buildingTag') { c.envGet('TAG_NAME') != null } }
    void changeRequest(Map m = [:]) {
        String cmp = m.comparator ?: 'EQUALS'
        Map attrs = m.findAll { it.key != 'comparator' }
        add("changeRequest ${attrs}") {
            c.envGet('CHANGE_ID') != null && attrs.every { k, v ->
                String var = 'CHANGE_' + (k as String).replaceAll(/([A-Z])/, '_$1').toUpperCase()
                Match.compare(cmp, v as String, c.envGet(var))
            }
        }
    }
    void environment(Map m) {
        add("environment ${m.name}='${m.value}'") {
            String v = c.envGet(m.name as String)
            m.ignoreCase ? v?.equalsIgnoreCase(m.value as String) : v == (m.value as String)
        }
    }
    void expression(Closure body) { add('expression') { c.callSteps(body) as boolean } }
    void not(Closure body) {
        WhenDef inner = of(c, body)
        if (inner.conds.size() != 1) throw new PipelineFailure('not { } takes exactly one condition')
        add("not(${inner.describe()})") { !inner.test() }
    }
    void allOf(Closure body) {
        WhenDef inner = of(c, body)
        add("allOf(${inner.describe()})") { inner.conds.every { it.test() } }
    }
    void anyOf(Closure body) {
        WhenDef inner = of(c, body)
        add("anyOf(${inner.describe()})") { inner.conds.any { it.test() } }
    }
    void beforeAgent(boolean b) { beforeAgent = b }
    void beforeInput(boolean b) { beforeInput = b }
    void beforeOptions(boolean b) { beforeOptions = b }
    def methodMissing(String name, Object args) { throw new Unsupported("unsupported when condition: ${name}") }
}

/** Delegate of `environment { }`: assignments go to the block's env layer, reads see the env. */
class EnvDef {
    final Controller _c
    final Map<String, String> _layer

    EnvDef(Controller c, Map<String, String> layer) { _c = c; _layer = layer }

    CredRef credentials(String id) { new CredRef(id) }
    EnvProxy getEnv() { _c.envProxy }
    Map getParams() { _c.params }
    def propertyMissing(String name, Object value) { _c.bindEnv(_layer, name, value) }
    def propertyMissing(String name) {
        String v = _c.envGet(name)
        if (v == null) throw new MissingPropertyException(name, EnvDef)
        v
    }
    // Jenkins allows steps in values, e.g. GIT_SHA = sh(script: '...', returnStdout: true).trim()
    def methodMissing(String name, Object args) { _c.steps.invokeMethod(name, args) }
}

/** `env`: reads see every layer; writes (env.X = ...) are build-wide but, as in Jenkins, do not
 *  override a value set by an `environment {}` block or withEnv. */
class EnvProxy extends GroovyObjectSupport {
    private final Controller c

    EnvProxy(Controller c) { this.c = c }

    Object getProperty(String name) { this.@c.envGet(name) }
    void setProperty(String name, Object value) { this.@c.globalEnv[name] = value == null ? null : value.toString() }
    Object getAt(String name) { getProperty(name) }
    void putAt(String name, Object value) { setProperty(name, value) }
    Map<String, String> getEnvironment() { this.@c.envMap() }
    String toString() { 'env' }
}

class CurrentBuild {
    private final Controller c
    String description
    String displayName

    CurrentBuild(Controller c) { this.c = c }

    String getResult() { c.result == 'SUCCESS' ? null : c.result }   // null while nothing went wrong
    void setResult(String r) { c.worsenBuild(r) }
    String getCurrentResult() { c.result }
    int getNumber() { c.envGet('BUILD_NUMBER') as int }
    String getProjectName() { c.envGet('JOB_NAME') }
    boolean resultIsBetterOrEqualTo(String r) { Results.worst(c.result, r) == r }
    boolean resultIsWorseOrEqualTo(String r) { Results.worst(c.result, r) == c.result }
    Map getPreviousBuild() { c.previousResult ? [result: c.previousResult] : null }
}

/** The steps. Delegate of `steps {}`, `script {}`, `post` blocks and `when { expression {} }`. */
class Steps {
    final Controller _c
    private final Set<String> _dispatching = [] as Set

    Steps(Controller c) { _c = c }

    EnvProxy getEnv() { _c.envProxy }
    Map getParams() { _c.params }
    CurrentBuild getCurrentBuild() { _c.currentBuild }
    Marker getScm() { new Marker('scm') }

    def propertyMissing(String name) {   // bare env names: "${WORKSPACE}", BRANCH_NAME == 'main'
        String v = _c.envGet(name)
        if (v == null) throw new MissingPropertyException(name, Steps)
        v
    }

    def methodMissing(String name, Object args) {
        // Methods defined in the Jenkinsfile itself (def helper() {...}) are allowed.
        def script = _c.script
        if (script != null && !(name in _dispatching) && script.metaClass.respondsTo(script, name)) {
            _dispatching << name
            try { return script.invokeMethod(name, args) } finally { _dispatching.remove(name) }
        }
        throw new Unsupported("unsupported step: ${name}")
    }

    // --- shell and messages
    def sh(String script) { sh(script: script) }
    def sh(Map a) { _c.sh(a) }
    void echo(Object message) { _c.step('echo', [message: message]); _c.log(message) }
    void println(Object message) { echo(message) }
    void print(Object message) { echo(message) }
    void error(Object message) {
        _c.step('error', [message: message])
        throw new PipelineFailure(String.valueOf(message))
    }
    void unstable(Object message) {
        _c.step('unstable', [message: message])
        _c.log("WARNING: ${message}")
        _c.worsenStage('UNSTABLE')
    }
    def script(Closure body) { _c.callSteps(body) }

    // --- blocks
    def dir(String path, Closure body) {
        _c.requireNode('dir')
        _c.step('dir', [path: path])
        _c.inDir(path) { _c.callSteps(body) }
    }
    def withEnv(List vars, Closure body) {
        _c.step('withEnv', [vars: vars])
        Map<String, String> layer = [:]
        vars.each { String kv ->
            int eq = kv.indexOf('=')
            if (eq < 0) throw new PipelineFailure("withEnv: expected NAME=value, got '${kv}'")
            String k = kv.substring(0, eq), v = kv.substring(eq + 1)
            if (k.contains('+')) {   // PATH+EXTRA=/x prepends to PATH
                k = k.substring(0, k.indexOf('+'))
                String old = _c.envGet(k)
                v = old ? "${v}${File.pathSeparator}${old}" : v
            }
            layer[k] = v
        }
        _c.withEnvLayer(layer) { _c.callSteps(body) }
    }
    def withCredentials(List bindings, Closure body) {
        _c.step('withCredentials', [bindings: bindings])
        Map<String, String> layer = [:]
        bindings.each { Map b -> _c.bindCredential(layer, b) }
        _c.withEnvLayer(layer) { _c.callSteps(body) }
    }
    Map string(Map a) { [$class: 'StringBinding'] + a }
    Map usernamePassword(Map a) { [$class: 'UsernamePasswordMultiBinding'] + a }
    Map usernameColonPassword(Map a) { [$class: 'UsernamePasswordBinding'] + a }
    Map file(Map a) { [$class: 'FileBinding'] + a }
    Map sshUserPrivateKey(Map a) { [$class: 'SSHUserPrivateKeyBinding'] + a }

    def lock(String resource, Closure body) { lock([resource: resource], body) }
    def lock(Map a, Closure body) {
        _c.step('lock', a)
        _c.log("Trying to acquire lock on [${a.resource ?: a.label}]")
        _c.callSteps(body)
    }
    def timeout(Integer minutes, Closure body) { timeout([time: minutes], body) }
    def timeout(Map a, Closure body) {
        _c.step('timeout', a)
        _c.withTimeout(a) { _c.callSteps(body) }
    }
    def retry(Integer count, Closure body) { retry([count: count], body) }
    def retry(Map a, Closure body) {
        _c.step('retry', a)
        int count = a.count as int
        for (int i = 1; ; i++) {
            try {
                return _c.callSteps(body)
            } catch (Unsupported | PipelineAborted e) {
                throw e
            } catch (Throwable t) {
                if (i >= count) throw t
                _c.log("ERROR: ${Controller.describe(t)}")
                _c.log('Retrying')
            }
        }
    }
    def catchError(Closure body) { catchError([:], body) }
    def catchError(Map a, Closure body) {
        _c.step('catchError', a)
        try {
            _c.callSteps(body)
        } catch (Unsupported u) {
            throw u
        } catch (Throwable t) {
            _c.logError(t)
            if (a.message) _c.log(a.message)
            _c.worsenBuild(a.containsKey('buildResult') ? a.buildResult as String : 'FAILURE')
            _c.worsenStage(a.containsKey('stageResult') ? a.stageResult as String : 'SUCCESS')
        }
    }
    def warnError(String message, Closure body) {
        catchError([message: message, buildResult: 'UNSTABLE', stageResult: 'UNSTABLE'], body)
    }
    def timestamps(Closure body) { _c.step('timestamps', [:]); _c.callSteps(body) }
    def ansiColor(String map, Closure body) { _c.step('ansiColor', [colorMapName: map]); _c.callSteps(body) }
    def parallel(Map branches) {   // scripted parallel inside script {}: run one after the other
        _c.step('parallel', [branches: branches.keySet() as List])
        Throwable first = null
        branches.each { k, v ->
            if (k == 'failFast') return
            try { _c.callSteps((Closure) v) } catch (Unsupported u) { throw u } catch (Throwable t) { first = first ?: t }
        }
        if (first) throw first
    }

    // --- Job Cacher (jobcacher plugin). Caches live in $HARNESS_CACHE_DIR/<branch>/<cacheName or path>/,
    // which outlives the build when the caller passes the same folder again (as the controller keeps
    // them between builds). Before the body: this branch's cache, else defaultBranch's (Job Cacher seeds
    // a branch that has none from it), unless skipRestore. After the body succeeds: the paths are saved
    // as this branch's cache, unless skipSave. maxCacheSize, compression and validity files: not applied.
    Map arbitraryFileCache(Map a) {
        if (!a.path) throw new PipelineFailure('arbitraryFileCache: path is required')
        [$class: 'ArbitraryFileCache'] + a
    }
    def cache(Map a, Closure body) {
        _c.requireNode('cache')
        if (a.maxCacheSize == null) throw new PipelineFailure('cache: maxCacheSize is required')
        List<Map> caches = (a.caches ?: []) as List<Map>
        _c.step('cache', a.findAll { k, v -> k != 'caches' } + [caches: caches.collect { it.cacheName ?: it.path }])
        _c.withJobCache(a, caches) { _c.callSteps(body) }
    }

    // --- workspace and reports (checked and recorded; nothing is published)
    def checkout(Object scm) { _c.requireNode('checkout'); _c.step('checkout', [scm: scm]) }
    void cleanWs(Map a = [:]) { _c.requireNode('cleanWs'); _c.step('cleanWs', a) }
    void deleteDir() { _c.requireNode('deleteDir'); _c.step('deleteDir', [dir: _c.relCwd()]) }
    def junit(String pattern) { junit(testResults: pattern) }
    def junit(Map a) { _c.junit(a) }
    void archiveArtifacts(String pattern) { archiveArtifacts(artifacts: pattern) }
    void archiveArtifacts(Map a) { _c.archiveArtifacts(a) }
    void publishHTML(Map a) { _c.step('publishHTML', a.target instanceof Map ? a.target : a) }
    void recordIssues(Map a) { _c.step('recordIssues', a) }
    // warnings-ng parsers usable in recordIssues(tools: [...]) / recordIssues(tool: ...)
    Map pyLint(Map a = [:]) { [tool: 'pyLint'] + a }
    Map flake8(Map a = [:]) { [tool: 'flake8'] + a }
    Map myPy(Map a = [:]) { [tool: 'myPy'] + a }
    Map pep8(Map a = [:]) { [tool: 'pep8'] + a }
    Map pyDocStyle(Map a = [:]) { [tool: 'pyDocStyle'] + a }
    Map sarif(Map a = [:]) { [tool: 'sarif'] + a }
    Map junitParser(Map a = [:]) { [tool: 'junitParser'] + a }
    Map checkStyle(Map a = [:]) { [tool: 'checkStyle'] + a }
    Map taskScanner(Map a = [:]) { [tool: 'taskScanner'] + a }
    void stash(String name) { stash(name: name) }
    void stash(Map a) { _c.stash(a) }
    void unstash(String name) { _c.unstash(name) }

    // --- files, relative to the current directory
    void writeFile(Map a) {
        _c.requireNode('writeFile')
        _c.step('writeFile', [file: a.file])
        File f = _c.resolve(a.file as String)
        f.parentFile?.mkdirs()
        f.setText(String.valueOf(a.text), (a.encoding ?: 'UTF-8') as String)
    }
    String readFile(String path) { readFile(file: path) }
    String readFile(Map a) {
        _c.requireNode('readFile')
        _c.step('readFile', [file: a.file])
        File f = _c.resolve(a.file as String)
        if (!f.isFile()) throw new PipelineFailure("java.nio.file.NoSuchFileException: ${f}")
        f.getText((a.encoding ?: 'UTF-8') as String)
    }
    boolean fileExists(String path) {
        _c.requireNode('fileExists')
        _c.step('fileExists', [file: path])
        _c.resolve(path).exists()
    }
    boolean isUnix() { _c.step('isUnix', [:]); true }
    def readJSON(Map a) {
        _c.step('readJSON', a.findAll { it.key != 'text' })
        new JsonSlurper().parseText(a.containsKey('text') ? a.text as String : _c.resolve(a.file as String).text)
    }
    void writeJSON(Map a) {
        _c.step('writeJSON', [file: a.file])
        String json = JsonOutput.toJson(a.json)
        _c.resolve(a.file as String).text = a.pretty ? JsonOutput.prettyPrint(json) : json
    }
    void sleep(Number seconds) { sleep(time: seconds) }
    void sleep(Map a) {
        _c.step('sleep', a)
        Thread.sleep(TimeUnit.valueOf((a.unit ?: 'SECONDS') as String).toMillis(a.time as long))
    }
}

/** The Jenkinsfile's script class: `pipeline` is its one entry point; other names are steps. */
abstract class JenkinsfileScript extends Script {
    void pipeline(Closure body) { Controller.current.runPipeline(body) }
    EnvProxy getEnv() { Controller.current.envProxy }
    Map getParams() { Controller.current.params }
    CurrentBuild getCurrentBuild() { Controller.current.currentBuild }
    Marker getScm() { new Marker('scm') }
    void println(Object message) { Controller.current.steps.echo(message) }
    def methodMissing(String name, Object args) { Controller.current.steps.invokeMethod(name, args) }
}

/** The controller: runs the pipeline and keeps the report. */
class Controller {
    static Controller current

    final File workspace
    final Map credentials
    final String previousResult
    final Map<String, String> baseEnv = [:]
    final Map<String, String> globalEnv = [:]
    final List<Map<String, String>> envStack = []
    final Map params = [:]
    final List<String> secrets = []
    final Set<String> stashes = [] as Set
    final Set<Throwable> logged = Collections.newSetFromMap(new IdentityHashMap<Throwable, Boolean>())
    final List<File> tempDirs = []
    final Map report = [result: null, agent: null, options: [], parameters: [], triggers: [], tools: [],
                        stages: [], steps: [], post: [], error: null, errors: []]
    final Steps steps = new Steps(this)
    final EnvProxy envProxy = new EnvProxy(this)
    final CurrentBuild currentBuild = new CurrentBuild(this)
    String result = 'SUCCESS'
    Script script
    Map stage           // the running stage's report entry (null outside stages)
    String scope = null // stage name for step records
    File cwd
    Long deadline
    int nodes = 0       // > 0 inside an agent (a workspace is there)
    boolean pipelineSeen = false
    File cacheRoot      // Job Cacher's storage ($HARNESS_CACHE_DIR); null: the cache step fails

    Controller(File workspace, Map credentials, Map paramValues, String previousResult, Map<String, String> env) {
        this.workspace = workspace.canonicalFile
        this.credentials = credentials
        this.previousResult = previousResult ? Results.check(previousResult) : null
        this.cwd = this.workspace
        this.params.putAll(paramValues)
        baseEnv.putAll(env)
        // Variables the caller set for the harness's JVM only (JAVA_HOME, JAVA_OPTS) stay out of the pipeline.
        (env.HARNESS_DROP_ENV ?: '').tokenize(',').each { baseEnv.remove(it) }
        baseEnv.remove('HARNESS_DROP_ENV')
        cacheRoot = env.HARNESS_CACHE_DIR ? new File(env.HARNESS_CACHE_DIR) : null
        baseEnv.remove('HARNESS_CACHE_DIR')
        String branch = env.BRANCH_NAME
        Map defaults = [WORKSPACE: this.workspace.path, BUILD_NUMBER: '1', NODE_NAME: 'built-in',
                        JOB_NAME: "${this.workspace.name}/${branch ?: 'main'}".toString(), EXECUTOR_NUMBER: '0']
        defaults.each { k, v -> if (!env.containsKey(k) || k == 'WORKSPACE') baseEnv[k] = v }
        baseEnv.putIfAbsent('BUILD_ID', baseEnv.BUILD_NUMBER)
        baseEnv.putIfAbsent('BUILD_TAG', "jenkins-${baseEnv.JOB_NAME.replace('/', '-')}-${baseEnv.BUILD_NUMBER}".toString())
    }

    // ---------------------------------------------------------------- console and records
    synchronized void log(Object message) {
        System.out.println(mask(String.valueOf(message)))
        System.out.flush()
    }

    String mask(String s) {
        secrets.each { s = s.replace(it, '****') }
        s
    }

    void addSecret(Object value) {
        String s = value == null ? '' : value.toString()
        if (s && !secrets.contains(s)) {
            secrets << s
            secrets.sort { -it.length() }
        }
    }

    static String describe(Throwable t) {
        t instanceof PipelineFailure || t instanceof Unsupported ? t.message : t.toString()
    }

    void logError(Throwable t) {
        if (logged.add(t)) {
            log("ERROR: ${describe(t)}")
            report.errors << describe(t)
        }
    }

    Map step(String type, Map args) {
        checkDeadline()
        log("[Pipeline] ${type}")
        Map rec = [stage: scope, type: type, args: args]
        report.steps << rec
        rec
    }

    void worsenBuild(String r) { result = Results.worst(result, r) }

    void worsenStage(String r) {
        if (stage != null) stage.result = Results.worst(stage.result as String, r)
    }

    void requireNode(String step) {
        if (nodes == 0) {
            throw new PipelineFailure("Required context class hudson.FilePath is missing. Perhaps you forgot to " +
                "surround the ${step} step with a step that provides this, such as: node (agent none)")
        }
    }

    // ---------------------------------------------------------------- closures and env
    def callWith(Closure body, Object delegate) {
        Closure b = (Closure) body.clone()
        b.delegate = delegate
        b.resolveStrategy = Closure.DELEGATE_FIRST
        b.call()
    }

    def callSteps(Closure body) { callWith(body, steps) }

    Map<String, String> envMap() {
        Map<String, String> m = new LinkedHashMap<String, String>(baseEnv)
        globalEnv.each { k, v -> if (v == null) m.remove(k) else m[k] = v }
        envStack.each { m.putAll(it) }
        m
    }

    String envGet(String name) { envMap()[name] }

    def withEnvLayer(Map<String, String> layer, Closure body) {
        envStack << layer
        try { return body() } finally { envStack.remove(envStack.size() - 1) }
    }

    /** Evaluates `environment {}` blocks into a new env layer (the caller pops it). */
    void pushEnvironment(List<Closure> blocks) {
        Map<String, String> layer = [:]
        envStack << layer
        blocks.each { callWith(it, new EnvDef(this, layer)) }
    }

    void popEnvironment() { envStack.remove(envStack.size() - 1) }

    def inDir(String path, Closure body) {
        File saved = cwd
        cwd = resolve(path)
        cwd.mkdirs()
        try { return body() } finally { cwd = saved }
    }

    File resolve(String path) {
        File f = new File(path)
        f.absolute ? f : new File(cwd, path)
    }

    String relCwd() {
        String rel = workspace.toPath().relativize(cwd.toPath()).toString()
        rel ?: '.'
    }

    // ---------------------------------------------------------------- credentials
    Map credential(String id) {
        Map cred = (Map) credentials[id]
        if (cred == null) throw new PipelineFailure("Could not find credentials entry with ID '${id}'")
        cred
    }

    Map credential(String id, String type) {
        Map cred = credential(id)
        String actual = cred.type ?: 'string'
        if (actual != type) {
            throw new PipelineFailure("Credentials '${id}' is of type '${actual}' where '${type}' was expected")
        }
        cred
    }

    String secretFile(String id, String content) {
        File dir = Files.createTempDirectory('harness-secret-').toFile()
        tempDirs << dir
        File f = new File(dir, id)
        f.text = content ?: ''
        f.path
    }

    /** `NAME = value` in `environment {}`; credentials('id') expands as Jenkins does. */
    void bindEnv(Map<String, String> layer, String name, Object value) {
        if (!(value instanceof CredRef)) {
            layer[name] = value == null ? null : value.toString()
            return
        }
        String id = ((CredRef) value).id
        Map cred = credential(id)
        switch (cred.type ?: 'string') {
            case 'string':
                layer[name] = cred.value; addSecret(cred.value); break
            case 'usernamePassword':
                layer[name] = "${cred.username}:${cred.password}".toString()
                layer["${name}_USR".toString()] = cred.username
                layer["${name}_PSW".toString()] = cred.password
                addSecret(cred.password); addSecret(layer[name]); break
            case 'file':
                layer[name] = secretFile(id, cred.content as String); break
            case 'sshUserPrivateKey':
                layer[name] = secretFile(id, cred.privateKey as String)
                layer["${name}_USR".toString()] = cred.username
                if (cred.passphrase) { layer["${name}_PSW".toString()] = cred.passphrase; addSecret(cred.passphrase) }
                break
            default:
                throw new Unsupported("unsupported credential type: ${cred.type}")
        }
    }

    /** One binding of withCredentials([...]). */
    void bindCredential(Map<String, String> layer, Map b) {
        String id = b.credentialsId
        switch (b.$class) {
            case 'StringBinding':
                Map cred = credential(id, 'string')
                layer[b.variable as String] = cred.value; addSecret(cred.value); break
            case 'UsernamePasswordMultiBinding':
                Map cred = credential(id, 'usernamePassword')
                if (b.usernameVariable) layer[b.usernameVariable as String] = cred.username
                layer[b.passwordVariable as String] = cred.password; addSecret(cred.password); break
            case 'UsernamePasswordBinding':
                Map cred = credential(id, 'usernamePassword')
                layer[b.variable as String] = "${cred.username}:${cred.password}".toString()
                addSecret(cred.password); addSecret(layer[b.variable as String]); break
            case 'FileBinding':
                Map cred = credential(id, 'file')
                layer[b.variable as String] = secretFile(id, cred.content as String); break
            case 'SSHUserPrivateKeyBinding':
                Map cred = credential(id, 'sshUserPrivateKey')
                layer[b.keyFileVariable as String] = secretFile(id, cred.privateKey as String)
                if (b.usernameVariable) layer[b.usernameVariable as String] = cred.username
                if (b.passphraseVariable) { layer[b.passphraseVariable as String] = cred.passphrase; addSecret(cred.passphrase) }
                break
            default:
                throw new Unsupported("unsupported credentials binding: ${b}")
        }
    }

    // ---------------------------------------------------------------- timeouts
    def withTimeout(Map a, Closure body) {
        long ms = TimeUnit.valueOf((a.unit ?: 'MINUTES') as String).toMillis(a.time as long)
        Long saved = deadline
        long mine = System.currentTimeMillis() + ms
        deadline = saved == null ? mine : Math.min(saved, mine)
        try { return body() } finally { deadline = saved }
    }

    void checkDeadline() {
        if (deadline != null && System.currentTimeMillis() > deadline) {
            throw new PipelineAborted('Timeout has been exceeded')
        }
    }

    // ---------------------------------------------------------------- sh
    def sh(Map a) {
        requireNode('sh')
        String script = String.valueOf(a.script)
        Map rec = step('sh', a.findAll { it.key != 'script' })
        rec.script = script
        rec.dir = relCwd()
        if (secrets.any { script.contains(it) }) {
            log('Warning: A secret was passed to "sh" using Groovy String interpolation, which is insecure.')
        }
        List<String> cmd
        if (script.startsWith('#!')) {   // Jenkins runs a script with a shebang line by its interpreter
            File dir = Files.createTempDirectory('harness-sh-').toFile()
            tempDirs << dir
            File f = new File(dir, 'script.sh')
            f.text = script
            f.setExecutable(true)
            cmd = [f.path]
        } else {
            cmd = ['bash', '-xeo', 'pipefail', '-c', script]
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd)
        pb.environment().clear()
        pb.environment().putAll(envMap().findAll { it.value != null })
        boolean capture = a.returnStdout as boolean
        pb.redirectErrorStream(!capture)
        Process p = pb.start()
        p.outputStream.close()
        StringBuilder out = new StringBuilder()
        List<Thread> pumps = [capture ? Thread.start { out << p.inputStream.getText('UTF-8') } : pump(p.inputStream)]
        if (capture) pumps << pump(p.errorStream)
        boolean finished = true
        if (deadline == null) p.waitFor()
        else finished = p.waitFor(Math.max(0L, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)
        if (!finished) {
            Iterator children = p.toHandle().descendants().iterator()
            while (children.hasNext()) children.next().destroyForcibly()
            p.destroyForcibly()
            pumps*.join(5000)
            rec.exit_code = null
            log('Cancelling nested steps due to timeout')
            throw new PipelineAborted('Timeout has been exceeded')
        }
        pumps*.join()
        int code = p.exitValue()
        rec.exit_code = code
        if (a.returnStatus) return code
        if (code != 0) throw new PipelineFailure("script returned exit code ${code}")
        capture ? out.toString() : null
    }

    private Thread pump(InputStream stream) {
        Thread.start { stream.newReader('UTF-8').eachLine { log(it) } }
    }

    // ---------------------------------------------------------------- reporting steps
    def junit(Map a) {
        requireNode('junit')
        Map rec = step('junit', a)
        List<String> files = Match.files(cwd, a.testResults as String)
        rec.files = files
        if (!files && !a.allowEmptyResults) {
            throw new PipelineFailure('No test report files were found. Configuration error?')
        }
        int total = 0, failed = 0, skipped = 0
        files.each { String f ->
            def xml
            try {
                xml = new XmlSlurper(false, false).parse(new File(cwd, f))
            } catch (Exception e) {
                throw new PipelineFailure("Failed to read test report file ${f}: ${e.message}")
            }
            xml.depthFirst().findAll { it.name() == 'testcase' }.each { tc ->
                total++
                if (tc.children().any { it.name() in ['failure', 'error'] }) failed++
                else if (tc.children().any { it.name() == 'skipped' }) skipped++
            }
        }
        Map summary = [totalCount: total, failCount: failed, skipCount: skipped, passCount: total - failed - skipped]
        rec.summary = summary
        log("Recording test results: ${summary}")
        if (failed > 0 && !a.skipMarkingBuildUnstable) {
            worsenStage('UNSTABLE')
            worsenBuild('UNSTABLE')
        }
        summary
    }

    void archiveArtifacts(Map a) {
        requireNode('archiveArtifacts')
        Map rec = step('archiveArtifacts', a)
        if (a.onlyIfSuccessful && result != 'SUCCESS') return
        List<String> files = Match.files(cwd, a.artifacts as String, a.excludes as String)
        rec.files = files
        if (!files && !a.allowEmptyArchive) {
            throw new PipelineFailure("No artifacts found that match the file pattern \"${a.artifacts}\". Configuration error?")
        }
        log("Archiving artifacts: ${files.size()} file(s)")
    }

    void stash(Map a) {
        requireNode('stash')
        Map rec = step('stash', a)
        List<String> files = Match.files(cwd, (a.includes ?: '**') as String, a.excludes as String)
        rec.files = files
        if (!files && !a.allowEmpty) throw new PipelineFailure("No files included in stash ‘${a.name}’")
        stashes << (a.name as String)
        log("Stashed ${files.size()} file(s)")
    }

    void unstash(String name) {
        requireNode('unstash')
        step('unstash', [name: name])
        if (!(name in stashes)) throw new PipelineFailure("No such saved stash ‘${name}’")
    }

    // ---------------------------------------------------------------- pipeline, stages, post
    void runPipeline(Closure body) {
        if (pipelineSeen) throw new PipelineFailure('only one pipeline { } block is allowed')
        pipelineSeen = true
        log('[Pipeline] Start of Pipeline')
        PipelineDef p = new PipelineDef(this)
        callWith(body, p)
        report.agent = p.agent
        report.options = p.options
        report.parameters = p.parameters
        report.triggers = p.triggers
        report.tools = p.tools
        validate(p)

        p.parameters.each { Map e ->   // defaults, unless the caller gave a value; params are env vars too
            Map a = e.args instanceof Map ? (Map) e.args : [:]
            def dflt = e.name == 'choice' ? ((a.choices instanceof List) ? a.choices[0] : String.valueOf(a.choices).readLines()[0])
                    : e.name == 'booleanParam' ? (a.defaultValue ?: false) : (a.defaultValue ?: '')
            params.putIfAbsent(a.name, dflt)
        }
        params.each { k, v -> baseEnv[k as String] = String.valueOf(v) }

        if (p.agent != 'none') {
            nodes++
            logAgent(p.agent)
        }
        Map timeout = p.options.find { it.name == 'timeout' }?.args as Map
        boolean envPushed = false
        try {
            pushEnvironment(p.environments)
            envPushed = true
            Closure run = { runStages(p.stages, p.option('skipStagesAfterUnstable') != null) }
            timeout ? withTimeout(timeout, run) : run()
        } catch (Throwable t) {
            fail(t)
            markNotRun(p.stages.findAll { s -> !report.stages.any { it.name == s.name } }, 'earlier failure(s)')
        }
        scope = 'Declarative: Post Actions'
        try {
            runPost(p.post, 'pipeline', null)
        } catch (Throwable t) {
            fail(t)
        }
        if (envPushed) popEnvironment()
        log('[Pipeline] End of Pipeline')
    }

    /** A failure that reached the top: it decides the build result and the report's error. */
    void fail(Throwable t) {
        logError(t)
        worsenBuild(t instanceof PipelineAborted ? 'ABORTED' : 'FAILURE')
        if (report.error == null) report.error = describe(t)
    }

    /** The checks Jenkins makes before a declarative pipeline starts. */
    void validate(PipelineDef p) {
        List<String> errors = []
        if (p.agent == null) errors << 'Missing required section "agent"'
        if (p.stages == null) errors << 'Missing required section "stages"'
        Set<String> names = [] as Set
        Closure check
        check = { List<StageDef> defs ->
            defs.each { StageDef s ->
                if (!names.add(s.name)) errors << "Duplicate stage name: \"${s.name}\""
                if (s.bodies == 0) errors << "Nothing to execute within stage \"${s.name}\""
                if (s.bodies > 1) errors << "Only one of \"matrix\", \"parallel\", \"stages\", or \"steps\" allowed for stage \"${s.name}\""
                check(s.children)
            }
        }
        check(p.stages ?: [])
        if (errors) {
            markNotRun(p.stages ?: [], 'validation errors')
            throw new PipelineFailure("Workflow script validation failed:\n  " + errors.join('\n  '))
        }
    }

    void logAgent(Object agent) {
        log('[Pipeline] node')
        if (agent instanceof Map && agent.docker) {
            log("[harness] docker agent image '${agent.docker.image}': steps run on the host")
        }
    }

    void markNotRun(List<StageDef> defs, String why, String status = 'not run') {
        defs.each { StageDef s ->
            report.stages << [name: s.name, status: status, parent: s.parent, kind: s.kind]
            if (status == 'not run') log("Stage \"${s.name}\" skipped due to ${why}")
            markNotRun(s.children, why, status)
        }
    }

    /** Sequential stages: the first failure stops the rest ("not run") and propagates. */
    void runStages(List<StageDef> defs, boolean skipAfterUnstable) {
        Throwable failure = null
        defs.each { StageDef s ->
            if (failure != null) markNotRun([s], 'earlier failure(s)')
            else if (skipAfterUnstable && result == 'UNSTABLE') markNotRun([s], 'unstable build')
            else {
                try { runStage(s, skipAfterUnstable) } catch (Throwable t) { failure = t }
            }
        }
        if (failure != null) throw failure
    }

    void runParallel(StageDef parent, boolean skipAfterUnstable) {
        log('[Pipeline] parallel')
        Throwable failure = null
        parent.parallel.each { StageDef s ->
            if (failure != null && parent.failFast) { markNotRun([s], 'failfast'); return }
            try { runStage(s, skipAfterUnstable) } catch (Throwable t) { failure = failure ?: t }
        }
        if (failure != null) throw failure
    }

    void runStage(StageDef s, boolean skipAfterUnstable) {
        Map rec = [name: s.name, status: 'running', parent: s.parent, kind: s.kind, result: 'SUCCESS']
        if (s.agent != null) rec.agent = s.agent
        if (s.options) rec.options = s.options
        report.stages << rec
        Map savedStage = stage
        String savedScope = scope
        stage = rec
        scope = s.name
        log('[Pipeline] stage')
        log("[Pipeline] { (${s.name})")
        int envLayers = envStack.size()
        boolean node = s.agent != null && s.agent != 'none'
        Throwable failure = null
        boolean skipped = false
        try {
            boolean early = s.when && (s.when.beforeAgent || s.when.beforeOptions || s.when.beforeInput)
            if (early && !s.when.test()) {
                skipped = true
            } else {
                if (node) { nodes++; logAgent(s.agent) }
                pushEnvironment(s.environments)
                if (!early && s.when && !s.when.test()) skipped = true
            }
            if (skipped) {
                rec.status = 'skipped (when)'
                rec.remove('result')
                log("Stage \"${s.name}\" skipped due to when conditional (${s.when.describe()})")
                markNotRun(s.children, 'when conditional', 'skipped (when)')
            } else {
                Map timeout = s.options.find { it.name == 'timeout' }?.args as Map
                Map retry = s.options.find { it.name == 'retry' }
                Closure body = { runStageBody(s, skipAfterUnstable) }
                Closure withRetry = retry ? { steps.retry(retry.args instanceof Map ? retry.args : [count: retry.args], body) } : body
                timeout ? withTimeout(timeout, withRetry) : withRetry()
            }
        } catch (Throwable t) {
            failure = t
            logError(t)
            String r = t instanceof PipelineAborted ? 'ABORTED' : 'FAILURE'
            rec.result = Results.worst(rec.result as String, r)
            worsenBuild(r)
        }
        if (!skipped) {
            try {
                runPost(s.post, s.name, failure)
            } catch (Throwable t) {
                failure = failure ?: t
                rec.result = 'FAILURE'
                worsenBuild('FAILURE')
            }
            rec.status = [SUCCESS: 'success', UNSTABLE: 'unstable', FAILURE: 'failed',
                          ABORTED: 'aborted', NOT_BUILT: 'not built'][rec.remove('result')]
        }
        while (envStack.size() > envLayers) popEnvironment()
        if (node) nodes--
        log('[Pipeline] }')
        log('[Pipeline] // stage')
        stage = savedStage
        scope = savedScope
        if (failure != null) throw failure
    }

    void runStageBody(StageDef s, boolean skipAfterUnstable) {
        if (s.stages != null) runStages(s.stages, skipAfterUnstable)
        else if (s.parallel != null) runParallel(s, skipAfterUnstable)
        else callSteps(s.steps)
    }

    /** Post conditions in Jenkins' order; each is checked when reached, a failing block fails the build. */
    void runPost(PostDef post, String where, Throwable stageError) {
        if (post == null) return
        boolean inStage = where != 'pipeline'
        Throwable first = null
        PostDef.ORDER.each { String cond ->
            Closure block = post.blocks[cond]
            if (block == null) return
            String r = inStage ? Results.worst(stage.result as String, result) : result
            if (!meets(cond, r, inStage, stageError != null)) return
            report.post << [scope: where, condition: cond]
            log("[Pipeline] { (${inStage ? '' : 'Declarative: '}Post Actions: ${cond})")
            try {
                callSteps(block)
            } catch (Throwable t) {
                logError(t)
                if (inStage) stage.result = 'FAILURE'
                worsenBuild('FAILURE')
                first = first ?: t
            }
            log('[Pipeline] }')
        }
        if (first != null) throw first
    }

    boolean meets(String cond, String r, boolean inStage, boolean stageFailed) {
        switch (cond) {
            case 'always': case 'cleanup': return true
            case 'success': return inStage && r == 'FAILURE' ? !stageFailed : r == 'SUCCESS'
            case 'failure': return r == 'FAILURE'
            case 'unstable': return r == 'UNSTABLE'
            case 'aborted': return r == 'ABORTED'
            case 'notBuilt': return r == 'NOT_BUILT'
            case 'unsuccessful': return r != 'SUCCESS'
            case 'changed': return previousResult == null || previousResult != r
            case 'fixed': return r == 'SUCCESS' && previousResult in ['FAILURE', 'UNSTABLE']
            case 'regression': return previousResult != null && Results.worst(r, previousResult) != previousResult
        }
        false
    }

    // ---------------------------------------------------------------- Job Cacher
    def withJobCache(Map a, List<Map> caches, Closure body) {
        if (cacheRoot == null) throw new PipelineFailure('cache: no cache storage (the harness needs HARNESS_CACHE_DIR)')
        String branch = envGet('BRANCH_NAME') ?: 'main'
        Closure stored = { String owner, Map c -> new File(cacheRoot, "${owner}/${c.cacheName ?: c.path}") }
        if (!a.skipRestore) {
            caches.each { Map c ->
                File from = [branch, a.defaultBranch].findAll { it }.collect { stored(it as String, c) }.find { it.isDirectory() }
                if (from == null) {
                    log("[Cache for ${c.path}] no cache of ${branch}${a.defaultBranch ? ' or ' + a.defaultBranch : ''} to restore")
                } else {
                    copyTree(from, new File(cwd, c.path as String))
                    log("[Cache for ${c.path}] restored the cache of ${from.parentFile.name}")
                }
            }
        }
        def out = body()
        if (!a.skipSave) {
            caches.each { Map c ->
                File source = new File(cwd, c.path as String)
                if (!source.isDirectory()) { log("[Cache for ${c.path}] nothing to save"); return }
                File target = stored(branch, c)
                target.deleteDir()
                copyTree(source, target)
                log("[Cache for ${c.path}] saved as the cache of ${branch}")
            }
        }
        out
    }

    static void copyTree(File from, File to) {
        to.mkdirs()
        Process copy = new ProcessBuilder(['cp', '-a', "${from.path}/.".toString(), to.path]).redirectErrorStream(true).start()
        String output = copy.inputStream.text
        if (copy.waitFor() != 0) throw new PipelineFailure("cache: copying ${from} to ${to} failed: ${output}")
    }

    // ---------------------------------------------------------------- entry point
    int execute(File jenkinsfile) {
        current = this
        try {
            CompilerConfiguration config = new CompilerConfiguration()
            config.scriptBaseClass = JenkinsfileScript.name
            GroovyShell shell = new GroovyShell(JenkinsfileScript.classLoader, new Binding(), config)
            script = shell.parse(jenkinsfile.getText('UTF-8'), 'WorkflowScript')
            script.run()
            if (!pipelineSeen) throw new PipelineFailure('no pipeline { } block in the Jenkinsfile')
        } catch (Throwable t) {
            fail(t)
        } finally {
            tempDirs.each { it.deleteDir() }
        }
        log("Finished: ${result}")
        report.result = result
        result == 'SUCCESS' ? 0 : result == 'UNSTABLE' ? 3 : 1
    }

    /** JSON-friendly copy of the report; secrets masked where values can carry them (step args, scripts, errors). */
    Map jsonReport() {
        Map out = (Map) plain(report, false)
        out.steps = report.steps.collect { Map step ->
            step.collectEntries { k, v -> [(k): plain(v, k in ['args', 'script', 'summary', 'files'])] }
        }
        out.error = plain(report.error, true)
        out.errors = plain(report.errors, true)
        out
    }

    Object plain(Object o, boolean masked) {
        if (o == null || o instanceof Number || o instanceof Boolean) return o
        if (o instanceof CharSequence) return masked ? mask(o.toString()) : o.toString()
        if (o instanceof Map) return ((Map) o).collectEntries { k, v -> [(String.valueOf(k)): plain(v, masked)] }
        if (o instanceof Collection || o.getClass().isArray()) return o.collect { plain(it, masked) }
        if (o instanceof Closure) return '{ ... }'
        masked ? mask(o.toString()) : o.toString()
    }
}

// -------------------------------------------------------------------- command line
Map<String, String> opts = [:]
List<String> positional = []
for (int i = 0; i < args.length; i++) {
    if (args[i].startsWith('--') && i + 1 < args.length) {
        opts.put(args[i].substring(2), args[i + 1])
        i++
    } else {
        positional << args[i]
    }
}
if (positional.size() != 1 || !opts.workdir || !opts.report) {
    System.err.println('usage: groovy harness.groovy --workdir DIR --report REPORT.json [--credentials CREDS.json] ' +
                       '[--params PARAMS.json] [--previous-result RESULT] Jenkinsfile')
    System.exit(2)
}
Closure readJson = { String path -> path ? new JsonSlurper().parse(new File(path)) as Map : [:] }
Controller controller = new Controller(new File(opts.workdir), readJson(opts.credentials), readJson(opts.params),
                                       opts['previous-result'], System.getenv())
int code = controller.execute(new File(positional[0]))
new File(opts.report).setText(JsonOutput.prettyPrint(JsonOutput.toJson(controller.jsonReport())), 'UTF-8')
System.exit(code)
