/*
 * harness.groovy: a stand-in for a Jenkins controller building the template's declarative Jenkinsfiles
 * (the generated one and jenkins/Jenkinsfile) as a multibranch job would, every `sh` step run for real.
 * It implements only what those Jenkinsfiles use; anything else fails the build naming it.
 * What it does and does not do, and how to add a step: tests/ci/README.md.
 *
 * Usage: groovy harness.groovy --workdir DIR --report REPORT.json [--credentials CREDS.json] Jenkinsfile
 * The Jenkins variables come from the process environment (BRANCH_NAME, CHANGE_ID, ...), which the steps
 * see too, less the names listed in HARNESS_DROP_ENV; Job Cacher's storage is $HARNESS_CACHE_DIR; what
 * started the build is $HARNESS_CAUSE (`triggeredBy`'s name: TimerTrigger for a cron build; a branch event
 * by default). Writes the JSON report (result, agent, options, triggers, stages, steps, post, error) and
 * prints the console log,
 * credentials masked as ****. Exit code: 0 SUCCESS, 3 UNSTABLE, 1 FAILURE, 2 bad usage.
 */
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import java.nio.file.Files
import org.codehaus.groovy.control.CompilerConfiguration

/** A failure of the build; the message is what the console prints after ERROR:. */
class PipelineFailure extends RuntimeException {
    PipelineFailure(String message) { super(message) }
}

/** Naming what the harness does not implement. */
class Check {
    /** From methodMissing: a name `delegate` has no method for, or a known name called with other arguments. */
    static String unsupported(String what, Object delegate, String name, Object args) {
        if (!delegate.class.declaredMethods.any { it.name == name }) return "unsupported ${what}: ${name}"
        List<String> types = (args as List).collect { it instanceof Closure ? 'Closure' : it.getClass().simpleName }
        "unsupported ${what}: ${name} with arguments (${types.join(', ')})"
    }

    /** In the definition: collected, then reported with the declarative checks before the build starts. */
    static void invalid(String message) { Controller.current.invalid << message }

    static void invalid(String what, Object delegate, String name, Object args) {
        invalid(unsupported(what, delegate, name, args))
    }

    /** Named arguments of a step or directive: only `allowed` ones, `required` ones present. */
    static Map args(String what, Map args, List<String> allowed, List<String> required) {
        (args.keySet() - allowed).each { throw new PipelineFailure("unsupported ${what} argument: ${it}") }
        (required - args.keySet()).each { throw new PipelineFailure("${what}: ${it} is required") }
        args
    }
}

/*
 * The declarative definition: `pipeline { }` and its sections are evaluated with these delegates before the
 * build starts; what they do not implement is collected (Controller.invalid) and fails the build unstarted.
 */

/** Delegate of `pipeline { }`. `any` and `none` are property look-ups, not strings. */
class PipelineDef {
    String agent
    final OptionsDef options = new OptionsDef()
    final List<Map> triggers = []
    Closure environment
    List<StageDef> stages
    PostDef post

    String getAny() { 'any' }
    String getNone() { 'none' }

    void agent(String kind) {
        if (kind != 'any') Check.invalid("unsupported agent: ${kind}")
        agent = kind
    }
    /** `agent { label 'x' }`: recorded (the report's agent is "label x"); every agent is this machine. */
    void agent(Closure body) {
        AgentDef a = new AgentDef()
        Controller.callWith(body, a)
        if (a.label == null) Check.invalid('agent { } without a label')
        agent = "label ${a.label}"
    }
    void options(Closure body) { Controller.callWith(body, options) }
    /** `triggers { cron('...') }`: recorded, not scheduled (a timer build is one with HARNESS_CAUSE=TimerTrigger). */
    void triggers(Closure body) { Controller.callWith(body, new TriggersDef(triggers)) }
    void environment(Closure body) { environment = body }
    void stages(Closure body) {
        StagesDef s = new StagesDef()
        Controller.callWith(body, s)
        stages = s.stages
    }
    void post(Closure body) { post = PostDef.of(body) }
    def methodMissing(String name, Object args) { Check.invalid('pipeline section', this, name, args) }
}

/** Delegate of `triggers { }`: only `cron`, with Jenkins' five fields (H allowed) or '' (no schedule). */
class TriggersDef {
    final List<Map> triggers

    TriggersDef(List<Map> triggers) { this.triggers = triggers }

    void cron(String spec) {
        if (spec && spec.trim().split(/\s+/).size() != 5) Check.invalid("cron spec needs five fields: '${spec}'")
        triggers << [cron: spec]
    }
    def methodMissing(String name, Object args) { Check.invalid('trigger', this, name, args) }
}

/** Delegate of `agent { }`: only `label`. */
class AgentDef {
    String label

    void label(String name) { label = name }
    def methodMissing(String name, Object args) { Check.invalid('agent', this, name, args) }
}

/** Delegate of `options { }`: each option is checked and recorded, none is applied. */
class OptionsDef {
    final List<Map> entries = []

    void timeout(Map a) { record('timeout', Check.args('timeout', a, ['time', 'unit'], ['time'])) }
    void disableConcurrentBuilds() { record('disableConcurrentBuilds', [:]) }
    void buildDiscarder(Map strategy) { record('buildDiscarder', strategy) }
    Map logRotator(Map a) {
        [logRotator: Check.args('logRotator', a, ['numToKeepStr'], ['numToKeepStr'])]
    }
    void timestamps() { record('timestamps', [:]) }
    private void record(String name, Map args) { entries << [name: name, args: args] }
    def methodMissing(String name, Object args) { Check.invalid('option', this, name, args) }
}

/** Delegate of `environment { }`: NAME = value sets a variable; bare names read them ("${WORKSPACE}/x"). */
class EnvironmentDef {
    final Map<String, String> env

    EnvironmentDef(Map<String, String> env) { this.env = env }

    def propertyMissing(String name, Object value) { env[name] = String.valueOf(value) }
    def propertyMissing(String name) {
        if (!env.containsKey(name)) throw new MissingPropertyException(name, EnvironmentDef)
        env[name]
    }
    def methodMissing(String name, Object args) {
        throw new PipelineFailure(Check.unsupported('in environment', this, name, args))
    }
}

class StagesDef {
    final List<StageDef> stages = []

    void stage(String name, Closure body) {
        StageDef s = new StageDef(name)
        Controller.callWith(body, s)
        stages << s
    }
    def methodMissing(String name, Object args) { Check.invalid('in stages', this, name, args) }
}

class StageDef {
    final String name
    final List<String> branches = []   // when { branch '...' }: all must match
    final List<Map> causes = []        // when { triggeredBy '...' } and when { not { triggeredBy '...' } }
    Closure steps
    PostDef post

    StageDef(String name) { this.name = name }

    void steps(Closure body) { steps = body }
    void when(Closure body) { Controller.callWith(body, new WhenDef(branches, causes)) }
    void post(Closure body) { post = PostDef.of(body) }
    def methodMissing(String name, Object args) {
        Check.invalid("stage directive (in stage '${this.name}')", this, name, args)
    }
}

class WhenDef {
    static final List<String> CAUSES = ['TimerTrigger', 'BranchEventCause', 'UserIdCause']
    final List<String> branches
    final List<Map> causes
    final boolean negated

    WhenDef(List<String> branches, List<Map> causes, boolean negated = false) {
        this.branches = branches
        this.causes = causes
        this.negated = negated
    }

    void branch(String pattern) {
        if (negated) Check.invalid('when { not { branch } } is not implemented')
        if (pattern.contains('*') || pattern.contains('?')) Check.invalid("unsupported branch pattern: ${pattern}")
        branches << pattern
    }
    void triggeredBy(String cause) {
        if (!(cause in CAUSES)) Check.invalid("unsupported triggeredBy cause: ${cause}")
        causes << [cause: cause, negated: negated]
    }
    /** `not { triggeredBy '...' }`: one condition, negated. */
    void not(Closure body) {
        if (negated) Check.invalid('when { not { not { } } }')
        Controller.callWith(body, new WhenDef(branches, causes, true))
    }
    def methodMissing(String name, Object args) { Check.invalid('when condition', this, name, args) }
}

class PostDef {
    Closure always

    static PostDef of(Closure body) {
        PostDef p = new PostDef()
        Controller.callWith(body, p)
        p
    }

    void always(Closure body) { always = body }
    def methodMissing(String name, Object args) { Check.invalid('post condition', this, name, args) }
}

/** `env`: env.NAME reads a variable; `env.NAME = value` (in a script block) sets it for the rest of the build. */
class EnvProxy extends GroovyObjectSupport {
    private final Map<String, String> env

    EnvProxy(Map<String, String> env) { this.env = env }

    Object getProperty(String name) { this.@env[name] }

    void setProperty(String name, Object value) { this.@env[name] = String.valueOf(value) }
}

/** currentBuild: what a Jenkinsfile may set on the build (its description); anything else fails. */
class CurrentBuild {
    private final Map report

    CurrentBuild(Map report) { this.report = report }

    void setDescription(String text) { report.description = text }
    String getDescription() { report.description }
    def propertyMissing(String name) { throw new PipelineFailure("currentBuild.${name}: not implemented by the harness") }
    def propertyMissing(String name, Object value) {
        throw new PipelineFailure("currentBuild.${name} = ...: not implemented by the harness")
    }
}

/** The steps, one method each. Delegate of `steps { }`, `script { }` and `post` blocks. */
class Steps {
    final Controller c

    Steps(Controller c) { this.c = c }

    EnvProxy getEnv() { c.envProxy }

    /** Methods defined in the Jenkinsfile itself (def helper() {...}) are called; any other name fails. */
    def methodMissing(String name, Object args) {
        if (name in c.jenkinsfileMethods) return c.script.invokeMethod(name, args)
        throw new PipelineFailure(Check.unsupported('step', this, name, args))
    }

    def script(Closure body) { c.callSteps(body) }

    void echo(String message) {
        c.step('echo', [message: message])
        c.log(message)
    }

    void sh(String script) {
        Map rec = c.step('sh', [:])
        rec.script = script
        ProcessBuilder pb = new ProcessBuilder('sh', '-xe', '-c', script).directory(c.workspace)
        pb.environment().clear()
        pb.environment().putAll(c.env)
        Process p = pb.redirectErrorStream(true).start()
        p.outputStream.close()
        p.inputStream.newReader('UTF-8').eachLine { c.log(it) }
        rec.exit_code = p.waitFor()
        if (rec.exit_code != 0) throw new PipelineFailure("script returned exit code ${rec.exit_code}")
    }

    /** Failed test cases make the stage and the build UNSTABLE, as in Jenkins. */
    void junit(Map a) {
        Map rec = c.step('junit', Check.args('junit', a, ['testResults', 'allowEmptyResults'], ['testResults']))
        List<String> files = c.files(a.testResults as String)
        if (!files && !a.allowEmptyResults) {
            throw new PipelineFailure('No test report files were found. Configuration error?')
        }
        int total = 0, failed = 0
        files.each { String f ->
            def report = new XmlSlurper(false, false).parse(new File(c.workspace, f))
            def cases = report.depthFirst().findAll { it.name() == 'testcase' }
            total += cases.size()
            failed += cases.count { tc -> tc.children().any { it.name() in ['failure', 'error'] } }
        }
        rec.files = files
        rec.summary = [totalCount: total, failCount: failed]
        c.log("Recording test results: ${rec.summary}")
        if (failed) c.worsen('UNSTABLE')
    }

    void archiveArtifacts(Map a) {
        Map rec = c.step('archiveArtifacts',
            Check.args('archiveArtifacts', a, ['artifacts', 'allowEmptyArchive'], ['artifacts']))
        rec.files = c.files(a.artifacts as String)
        if (!rec.files && !a.allowEmptyArchive) {
            throw new PipelineFailure("No artifacts found that match the file pattern \"${a.artifacts}\". " +
                                      'Configuration error?')
        }
        c.log("Archiving artifacts: ${rec.files.size()} file(s)")
    }

    /** A person's approval: the harness stands in for them and approves (the step is recorded). */
    void input(Map a) {
        c.step('input', Check.args('input', a, ['message', 'ok'], ['message']))
        c.log("${a.message}: approved (the harness approves every input step)")
    }

    def lock(Map a, Closure body) {
        c.step('lock', Check.args('lock', a, ['resource'], ['resource']))
        c.log("Lock acquired on [${a.resource}]")
        c.callSteps(body)
    }

    Map usernamePassword(Map a) {
        List<String> keys = ['credentialsId', 'usernameVariable', 'passwordVariable']
        Check.args('usernamePassword', a, keys, keys)
    }

    Map string(Map a) {
        List<String> keys = ['credentialsId', 'variable']
        Check.args('string', a, keys, keys)
    }

    boolean fileExists(String file) {
        c.step('fileExists', [file: file])
        new File(c.workspace, file).exists()
    }

    /** The workspace file's text, as Jenkins' readFile (UTF-8). */
    String readFile(String file) {
        c.step('readFile', [file: file])
        File f = new File(c.workspace, file)
        if (!f.isFile()) throw new PipelineFailure("java.nio.file.NoSuchFileException: ${f}")
        f.getText('UTF-8')
    }

    /** currentBuild: its description can be set (and is reported), as in Jenkins' RunWrapper. */
    CurrentBuild getCurrentBuild() { c.currentBuild }

    /** Binds credentials (from the JSON file: id -> {type: usernamePassword, username, password} or
     *  {type: string, secret}); masks passwords and secrets. */
    def withCredentials(List bindings, Closure body) {
        c.step('withCredentials', [bindings: bindings])
        Map<String, String> vars = [:]
        bindings.each { Map b ->
            Map cred = c.credentials[b.credentialsId] as Map
            if (cred == null) throw new PipelineFailure("Could not find credentials entry with ID '${b.credentialsId}'")
            String wanted = b.containsKey('variable') ? 'string' : 'usernamePassword'
            if (cred.type != wanted) {
                throw new PipelineFailure("Credentials '${b.credentialsId}' is of type '${cred.type}' " +
                                          "where '${wanted}' was expected")
            }
            if (wanted == 'string') {
                vars[b.variable as String] = cred.secret as String
                c.addSecret(cred.secret as String)
                return
            }
            vars[b.usernameVariable as String] = cred.username as String
            vars[b.passwordVariable as String] = cred.password as String
            c.addSecret(cred.password as String)
        }
        Map<String, String> saved = new LinkedHashMap<String, String>(c.env)
        c.env.putAll(vars)
        try { c.callSteps(body) } finally { c.env.clear(); c.env.putAll(saved) }
    }

    Map arbitraryFileCache(Map a) {
        Check.args('arbitraryFileCache', a, ['path', 'cacheName', 'compressionMethod'], ['path'])
    }

    /**
     * Job Cacher. Caches live in $HARNESS_CACHE_DIR/<branch>/<cacheName or path>/, which outlives the build
     * when the caller passes the same folder again. Before the body: this branch's cache, else
     * defaultBranch's, unless skipRestore. After the body: the paths saved as this branch's cache, unless
     * skipSave. maxCacheSize and compression: required or accepted, not applied.
     */
    def cache(Map a, Closure body) {
        Check.args('cache', a, ['maxCacheSize', 'defaultBranch', 'skipSave', 'skipRestore', 'caches'],
                   ['maxCacheSize', 'caches'])
        c.step('cache', a.findAll { it.key != 'caches' } + [caches: a.caches.collect { it.cacheName ?: it.path }])
        if (c.cacheRoot == null) throw new PipelineFailure('cache: the harness was given no $HARNESS_CACHE_DIR')
        String branch = c.env.BRANCH_NAME
        List<String> sources = [branch, a.defaultBranch].findAll()
        Closure stored = { String owner, Map cache ->
            new File(c.cacheRoot, "${owner}/${cache.cacheName ?: cache.path}")
        }
        if (!a.skipRestore) {
            a.caches.each { Map cache ->
                File from = sources.collect { stored(it, cache) }.find { it.isDirectory() }
                if (from == null) {
                    c.log("[Cache for ${cache.path}] no cache of ${sources.join(' or ')} to restore")
                } else {
                    copyTree(from, new File(c.workspace, cache.path as String))
                    c.log("[Cache for ${cache.path}] restored the cache of ${from.parentFile.name}")
                }
            }
        }
        c.callSteps(body)
        if (!a.skipSave) {
            a.caches.each { Map cache ->
                File source = new File(c.workspace, cache.path as String)
                if (!source.isDirectory()) { c.log("[Cache for ${cache.path}] nothing to save"); return }
                File target = stored(branch, cache)
                target.deleteDir()
                copyTree(source, target)
                c.log("[Cache for ${cache.path}] saved as the cache of ${branch}")
            }
        }
    }

    private static void copyTree(File from, File to) {
        to.mkdirs()
        Process copy = new ProcessBuilder('cp', '-a', "${from.path}/.".toString(), to.path)
            .redirectErrorStream(true).start()
        String output = copy.inputStream.text
        if (copy.waitFor() != 0) throw new PipelineFailure("cache: copying ${from} to ${to} failed: ${output}")
    }
}

/** The Jenkinsfile's script class: `pipeline` is its entry point; other names are steps or its own methods. */
abstract class JenkinsfileScript extends Script {
    void pipeline(Closure body) { Controller.current.runPipeline(body) }
    EnvProxy getEnv() { Controller.current.envProxy }
    def methodMissing(String name, Object args) {
        // A method of the Jenkinsfile called with arguments it does not take: not a step either.
        if (name in Controller.current.jenkinsfileMethods) {
            throw new PipelineFailure(Check.unsupported("arguments of the Jenkinsfile's method", this, name, args))
        }
        Controller.current.steps.invokeMethod(name, args)
    }
}

/** Runs the pipeline and keeps the report. */
class Controller {
    static final List<String> RESULTS = ['SUCCESS', 'UNSTABLE', 'FAILURE']   // from best to worst
    static final Map<String, String> STATUS = [SUCCESS: 'success', UNSTABLE: 'unstable', FAILURE: 'failed']
    static Controller current

    final File workspace
    final Map credentials
    final File cacheRoot
    final Map<String, String> env = [:]
    final List<String> secrets = []
    final Map report = [result: 'SUCCESS', agent: null, options: [], triggers: [], stages: [], steps: [], post: [],
                        error: null, description: null]
    final Steps steps = new Steps(this)
    final CurrentBuild currentBuild = new CurrentBuild(report)
    final EnvProxy envProxy = new EnvProxy(env)
    Script script
    Set<String> jenkinsfileMethods = [] as Set
    final List<String> invalid = []   // what the definition uses that the harness does not implement
    Map stage           // the running stage's report entry (null outside stages)
    String cause        // what started the build, as `triggeredBy` names it
    boolean pipelineSeen = false

    Controller(File workspace, Map credentials, Map<String, String> processEnv) {
        this.workspace = workspace.canonicalFile
        this.credentials = credentials
        env.putAll(processEnv)
        // Variables the caller set for the harness's JVM only (JAVA_HOME, JAVA_OPTS) stay out of the pipeline.
        (processEnv.HARNESS_DROP_ENV ?: '').tokenize(',').each { env.remove(it) }
        env.remove('HARNESS_DROP_ENV')
        String caches = env.remove('HARNESS_CACHE_DIR')
        cause = env.remove('HARNESS_CAUSE') ?: 'BranchEventCause'   // TimerTrigger: a build the cron started
        cacheRoot = caches ? new File(caches) : null
        env.WORKSPACE = this.workspace.path
        env.putIfAbsent('BUILD_NUMBER', '1')
        env.putIfAbsent('JOB_NAME', "${this.workspace.name}/${env.BRANCH_NAME}".toString())
        // As a controller sets them (an address nothing here serves: the harness has no web interface).
        env.putIfAbsent('JENKINS_URL', 'http://jenkins.invalid/')
        env.putIfAbsent('BUILD_URL', "${env.JENKINS_URL}job/${env.JOB_NAME}/${env.BUILD_NUMBER}/".toString())
    }

    static def callWith(Closure body, Object delegate) {
        Closure b = (Closure) body.clone()
        b.delegate = delegate
        b.resolveStrategy = Closure.DELEGATE_FIRST
        b.call()
    }

    def callSteps(Closure body) { callWith(body, steps) }

    // ---------------------------------------------------------------- console and records
    void log(Object message) {
        System.out.println(mask(String.valueOf(message)))
        System.out.flush()
    }

    String mask(String s) { secrets.inject(s) { String masked, String secret -> masked.replace(secret, '****') } }

    void addSecret(String value) {
        if (value && !(value in secrets)) secrets << value
        secrets.sort { -it.length() }   // a secret that contains another is masked whole
    }

    Map step(String type, Map args) {
        log("[Pipeline] ${type}")
        Map rec = [stage: stage?.name, type: type, args: args]
        report.steps << rec
        rec
    }

    /** The result of the running stage and of the build can only get worse. */
    void worsen(String result) {
        Closure worst = { String a -> RESULTS[Math.max(RESULTS.indexOf(a), RESULTS.indexOf(result))] }
        if (stage != null) stage.result = worst(stage.result)
        report.result = worst(report.result)
    }

    /** Runs a block; a failure is logged, fails the stage and the build, and is the report's error if first. */
    boolean attempt(Closure body) {
        try {
            body()
            return true
        } catch (Throwable t) {
            String message = t instanceof PipelineFailure ? t.message : t.toString()
            log("ERROR: ${message}")
            report.error = report.error ?: message
            worsen('FAILURE')
            return false
        }
    }

    /** Files of the workspace matching comma-separated Ant patterns (`**` spans folders), sorted. */
    List<String> files(String patterns) {
        Set<String> found = new TreeSet<String>()
        patterns.split(',')*.trim().findAll().each { String pattern ->
            // Walk from the pattern's literal folder only: the workspace also holds a large uv cache.
            List<String> parts = pattern.split('/') as List
            int wild = parts.findIndexOf { it.contains('*') || it.contains('?') }
            File root = new File(workspace, parts.subList(0, wild < 0 ? parts.size() - 1 : wild).join('/'))
            if (!root.isDirectory()) return
            String regex = antRegex(pattern)
            def walk = Files.walk(root.toPath())
            try {
                walk.iterator().each { path ->
                    String rel = workspace.toPath().relativize(path).toString()
                    if (Files.isRegularFile(path) && rel ==~ regex) found << rel
                }
            } finally {
                walk.close()
            }
        }
        found as List
    }

    /** An Ant pattern as a regex: `**` spans folders, `*` and `?` stay within one. */
    static String antRegex(String glob) {
        StringBuilder re = new StringBuilder()
        for (int i = 0; i < glob.length(); i++) {
            if (glob.startsWith('**/', i)) { re << '(?:.*/)?'; i += 2 }
            else if (glob.startsWith('**', i)) { re << '.*'; i++ }
            else if (glob[i] == '*') re << '[^/]*'
            else if (glob[i] == '?') re << '[^/]'
            else re << java.util.regex.Pattern.quote(glob[i])
        }
        re.toString()
    }

    // ---------------------------------------------------------------- pipeline, stages, post
    void runPipeline(Closure body) {
        if (pipelineSeen) throw new PipelineFailure('only one pipeline { } block is allowed')
        pipelineSeen = true
        log('[Pipeline] Start of Pipeline')
        PipelineDef p = new PipelineDef()
        callWith(body, p)
        report.agent = p.agent
        report.options = p.options.entries
        report.triggers = p.triggers
        validate(p)
        log('[Pipeline] node')
        if (p.environment) attempt { callWith(p.environment, new EnvironmentDef(env)) }
        p.stages.each { StageDef s ->
            if (report.result == 'FAILURE') {
                report.stages << [name: s.name, status: 'not run']
                log("Stage \"${s.name}\" skipped due to earlier failure(s)")
            } else {
                runStage(s)
            }
        }
        runPost(p.post, 'pipeline')
        log('[Pipeline] End of Pipeline')
    }

    /** The checks Jenkins makes before a declarative pipeline starts, after what the harness lacks. */
    void validate(PipelineDef p) {
        List<String> errors = [*invalid]
        if (p.agent == null) errors << 'Missing required section "agent"'
        if (p.stages == null) errors << 'Missing required section "stages"'
        Set<String> names = [] as Set
        p.stages?.each { StageDef s ->
            if (!names.add(s.name)) errors << "Duplicate stage name: \"${s.name}\""
            if (s.steps == null) errors << "Nothing to execute within stage \"${s.name}\""
        }
        if (errors) throw new PipelineFailure('Workflow script validation failed:\n  ' + errors.join('\n  '))
    }

    void runStage(StageDef s) {
        Map rec = [name: s.name, result: 'SUCCESS']
        report.stages << rec
        stage = rec
        log("[Pipeline] { (${s.name})")
        boolean causes = s.causes.every { (it.cause == cause) != it.negated }
        if (s.branches.every { it == env.BRANCH_NAME } && causes) {
            attempt { callSteps(s.steps) }
            runPost(s.post, s.name)
            rec.status = STATUS[rec.result]
        } else {
            rec.status = 'skipped (when)'
            log("Stage \"${s.name}\" skipped due to when conditional (branch '${s.branches.join("', '")}'; " +
                "triggered by ${cause})")
        }
        rec.remove('result')
        log('[Pipeline] }')
        stage = null
    }

    /** `post { always { } }`: runs whatever happened before; a failing block fails the stage and the build. */
    void runPost(PostDef post, String scope) {
        if (post?.always == null) return
        report.post << [scope: scope, condition: 'always']
        log("[Pipeline] { (${scope == 'pipeline' ? 'Declarative: ' : ''}Post Actions)")
        attempt { callSteps(post.always) }
        log('[Pipeline] }')
    }

    // ---------------------------------------------------------------- entry point
    int execute(File jenkinsfile) {
        current = this
        attempt {
            CompilerConfiguration config = new CompilerConfiguration()
            config.scriptBaseClass = JenkinsfileScript.name
            script = new GroovyShell(JenkinsfileScript.classLoader, new Binding(), config)
                .parse(jenkinsfile.getText('UTF-8'), 'WorkflowScript')
            jenkinsfileMethods = script.class.declaredMethods
                .findAll { !it.synthetic && !it.name.contains('$') && !(it.name in ['run', 'main']) }*.name as Set
            script.run()
            if (!pipelineSeen) throw new PipelineFailure('no pipeline { } block in the Jenkinsfile')
        }
        log("Finished: ${report.result}")
        [SUCCESS: 0, UNSTABLE: 3, FAILURE: 1][report.result]
    }

    /** The report as JSON, credentials masked wherever a value could carry them. */
    String jsonReport() { JsonOutput.prettyPrint(JsonOutput.toJson(masked(report))) }

    private Object masked(Object o) {
        if (o instanceof CharSequence) return mask(o.toString())
        if (o instanceof Map) return o.collectEntries { k, v -> [(String.valueOf(k)): masked(v)] }
        if (o instanceof Collection) return o.collect { masked(it) }
        o
    }
}

// -------------------------------------------------------------------- command line
Map<String, String> opts = [:]
List<String> positional = []
for (int i = 0; i < args.length; i++) {
    if (args[i].startsWith('--') && i + 1 < args.length) {
        opts[args[i].substring(2)] = args[i + 1]
        i++
    } else {
        positional << args[i]
    }
}
if (positional.size() != 1 || !opts.workdir || !opts.report) {
    System.err.println('usage: groovy harness.groovy --workdir DIR --report REPORT.json ' +
                       '[--credentials CREDS.json] Jenkinsfile')
    System.exit(2)
}
Map credentials = opts.credentials ? new JsonSlurper().parse(new File(opts.credentials)) as Map : [:]
Controller controller = new Controller(new File(opts.workdir), credentials, System.getenv())
int code = controller.execute(new File(positional[0]))
new File(opts.report).setText(controller.jsonReport(), 'UTF-8')
System.exit(code)
