//! A real, throwaway WordPress for the publishing tests: Debian's
//! `wordpress` package, copied to a temporary folder with a `wp-config.php`
//! of its own, installed into a fresh MariaDB database by WordPress's own
//! `wp_install()` from the PHP command line, given an application password,
//! and served by `php -S` with a router that hands everything that is not a
//! file to `index.php` (so pretty permalinks and `/wp-json/` work). About
//! 3 s. Dropped: the server stopped, the database and its user dropped, the
//! files removed.
//!
//! Needs `wordpress`, `php-cli`, `php-mysql` and a MariaDB server that
//! `mysql -uroot` reaches (`.ci/run` installs and starts them). Without
//! them a test is skipped with a message, except under `CI=true`, where a
//! missing WordPress is a failure: CI must not pass by testing nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::RngCore;
use serde_json::{Value, json};

const SOURCE: &str = "/usr/share/wordpress";
pub const USER: &str = "deskbot";

pub struct WordPress {
    pub base_url: String,
    pub app_password: String,
    pub app_password_uuid: String,
    pub user_id: i64,
    /// `php -S`, once started.
    server: Option<Child>,
    database: String,
    root: PathBuf,
    dir: tempfile::TempDir,
    http: reqwest::blocking::Client,
}

/// WordPress's `wp-config.php` for one throwaway site.
const CONFIG: &str = r#"<?php
define( 'DB_NAME', '%db%' );
define( 'DB_USER', '%db%' );
define( 'DB_PASSWORD', '%db_password%' );
define( 'DB_HOST', '127.0.0.1:%db_port%' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
%salts%
$table_prefix = 'wp_';
/* Application passwords need HTTPS, or this. */
define( 'WP_ENVIRONMENT_TYPE', 'local' );
/* Where php -S listens; wp_install() from the command line would guess wrongly. */
define( 'WP_HOME', '%url%' );
define( 'WP_SITEURL', '%url%' );
/* No cron through the front door, no updates, no calls out. */
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
/* PHP 8.2 notices from WordPress 6.1 go to a file, never into an answer. */
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_DISPLAY', false );
define( 'WP_DEBUG_LOG', '%dir%/debug.log' );
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
"#;

/// A test site sends no mail (there is no MTA to send it).
const NO_MAIL: &str = "<?php\nadd_filter( 'pre_wp_mail', '__return_false' );\n";

const ROUTER: &str = r#"<?php
$root = $_SERVER['DOCUMENT_ROOT'];
$path = '/' . ltrim( rawurldecode( parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) ), '/' );
if ( $path !== '/' && strpos( $path, '..' ) === false && is_file( $root . $path ) ) {
	return false;
}
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
chdir( $root );
require $root . '/index.php';
"#;

/// Loads the site's WordPress in PHP CLI as if `/` had been asked for;
/// `$rig` holds the JSON of the first argument.
const BOOT: &str = r#"<?php
$rig = json_decode( file_get_contents( $argv[1] ), true );
$_SERVER['HTTP_HOST']       = $rig['host'];
$_SERVER['SERVER_NAME']     = '127.0.0.1';
$_SERVER['SERVER_PORT']     = $rig['port'];
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
if ( ! empty( $rig['installing'] ) ) {
	define( 'WP_INSTALLING', true );
}
require $rig['root'] . '/wp-load.php';
"#;

const INSTALL: &str = r#"
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
/* wp_install() probes the site over HTTP; it is not served yet. */
add_filter( 'pre_http_request', function () { return new WP_Error( 'rig', 'no HTTP during install' ); } );
wp_install( 'Test Site', $rig['user'], 'deskbot@example.org', false, '', wp_slash( $rig['password'] ) );
$wp_rewrite->set_permalink_structure( '/%postname%/' );
$wp_rewrite->flush_rules( false );
update_option( 'timezone_string', 'UTC' );
$user = get_user_by( 'login', $rig['user'] );
$made = WP_Application_Passwords::create_new_application_password( $user->ID, array( 'name' => 'op-ed desk' ) );
if ( is_wp_error( $made ) ) {
	fwrite( STDERR, $made->get_error_message() );
	exit( 1 );
}
echo "\nRIG_RESULT " . wp_json_encode( array(
	'user_id'  => $user->ID,
	'password' => WP_Application_Passwords::chunk_password( $made[0] ),
	'uuid'     => $made[1]['uuid'],
) ) . "\n";
"#;

/// Why there is no WordPress to test against, or `None` when there is one.
fn missing() -> Option<String> {
    if !Path::new(SOURCE).join("wp-settings.php").exists() {
        return Some(format!("{SOURCE} is missing (apt-get install wordpress)"));
    }
    let php = Command::new("php")
        .args(["-r", "exit(function_exists('mysqli_connect') ? 0 : 1);"])
        .status();
    if !php.is_ok_and(|status| status.success()) {
        return Some("php with mysqli is missing (apt-get install php-cli php-mysql)".into());
    }
    if mysql(&["SELECT 1"]).is_err() {
        return Some("no MariaDB answers `mysql -uroot` (start mariadb)".into());
    }
    None
}

/// A statement as MariaDB's root.
fn mysql(statements: &[&str]) -> Result<String, String> {
    let output = Command::new("mysql")
        .args(["-uroot", "-N", "-B", "-e", &statements.join("; ")])
        .output()
        .map_err(|err| format!("mysql: {err}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

impl WordPress {
    /// A fresh site, or `None` (with a message) where WordPress is not
    /// installed; under `CI=true` that is a failure instead.
    pub fn start() -> Option<WordPress> {
        if let Some(reason) = missing() {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("the WordPress tests cannot run: {reason}");
            }
            eprintln!("skipped: no WordPress to test against: {reason}");
            return None;
        }
        Some(WordPress::install())
    }

    fn install() -> WordPress {
        let started = Instant::now();
        let dir = tempfile::Builder::new()
            .prefix("oped-wp-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("wordpress");
        // A real copy: Debian's wp-config.php reads /etc/wordpress, and
        // links would lead back there.
        let copied = Command::new("cp")
            .args(["-a", SOURCE])
            .arg(&root)
            .status()
            .unwrap();
        assert!(copied.success(), "cp -a {SOURCE} failed");
        std::fs::remove_file(root.join("wp-config.php")).unwrap();
        // A link to /etc/wordpress/htaccess: never let a rewrite flush write there.
        let _ = std::fs::remove_file(root.join(".htaccess"));
        std::fs::create_dir_all(root.join("wp-content/uploads")).unwrap();
        std::fs::create_dir_all(root.join("wp-content/mu-plugins")).unwrap();
        std::fs::write(root.join("wp-content/mu-plugins/no-mail.php"), NO_MAIL).unwrap();
        std::fs::write(dir.path().join("router.php"), ROUTER).unwrap();

        let database = format!("oped_wp_{}", random_hex(4));
        let db_password = random_hex(16);
        let db_port: u16 = mysql(&["SELECT @@port"]).unwrap().trim().parse().unwrap();
        mysql(&[
            &format!(
                "CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            ),
            &format!("CREATE USER '{database}'@'127.0.0.1' IDENTIFIED BY '{db_password}'"),
            &format!("GRANT ALL PRIVILEGES ON `{database}`.* TO '{database}'@'127.0.0.1'"),
        ])
        .unwrap();

        let port = super::free_port();
        let base_url = format!("http://127.0.0.1:{port}");
        let salts: String = [
            "AUTH_KEY",
            "SECURE_AUTH_KEY",
            "LOGGED_IN_KEY",
            "NONCE_KEY",
            "AUTH_SALT",
            "SECURE_AUTH_SALT",
            "LOGGED_IN_SALT",
            "NONCE_SALT",
        ]
        .iter()
        .map(|name| format!("define( '{name}', '{}' );\n", random_hex(32)))
        .collect();
        let config = CONFIG
            .replace("%db%", &database)
            .replace("%db_password%", &db_password)
            .replace("%db_port%", &db_port.to_string())
            .replace("%salts%", &salts)
            .replace("%url%", &base_url)
            .replace("%dir%", &dir.path().display().to_string());
        std::fs::write(root.join("wp-config.php"), config).unwrap();

        let http = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let mut site = WordPress {
            base_url,
            app_password: String::new(),
            app_password_uuid: String::new(),
            user_id: 0,
            server: None,
            database,
            root,
            dir,
            http,
        };
        let login_password = random_hex(12);
        let out = site.php(
            INSTALL,
            json!({ "installing": true, "user": USER, "password": login_password }),
        );
        let result = out
            .lines()
            .find_map(|line| line.strip_prefix("RIG_RESULT "))
            .unwrap_or_else(|| panic!("wp_install printed no result: {out}"));
        let result: Value = serde_json::from_str(result).unwrap();
        site.app_password = result["password"].as_str().unwrap().to_string();
        site.app_password_uuid = result["uuid"].as_str().unwrap().to_string();
        site.user_id = result["user_id"].as_i64().unwrap();

        let log = std::fs::File::create(site.dir.path().join("php-server.log")).unwrap();
        let mut server = Command::new("php");
        server
            .args(["-S", &format!("127.0.0.1:{port}"), "-t"])
            .arg(&site.root)
            .arg(site.dir.path().join("router.php"))
            .current_dir(&site.root)
            .env("PHP_CLI_SERVER_WORKERS", "4")
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        // Its own process group: php -S forks its workers, stopped with it.
        std::os::unix::process::CommandExt::process_group(&mut server, 0);
        site.server = Some(server.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = site.server.as_mut().unwrap().try_wait().unwrap() {
                panic!("php -S exited with {status}");
            }
            let (status, index) = site.rest("GET", "/", None, None);
            if status == 200 && index["namespaces"].is_array() {
                break;
            }
            assert!(Instant::now() < deadline, "WordPress never answered");
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!(
            "WordPress at {} in {:.1} s",
            site.base_url,
            started.elapsed().as_secs_f64()
        );
        site
    }

    /// Runs PHP `code` with this WordPress loaded; `$rig` holds `params`
    /// (and `root`, `host`, `port`). Returns what it printed.
    pub fn php(&self, code: &str, params: Value) -> String {
        let url = url::Url::parse(&self.base_url).unwrap();
        let mut rig = params;
        rig["root"] = json!(self.root.display().to_string());
        rig["host"] = json!(format!("127.0.0.1:{}", url.port().unwrap()));
        rig["port"] = json!(url.port().unwrap().to_string());
        let mut script = tempfile::Builder::new()
            .suffix(".php")
            .tempfile_in(self.dir.path())
            .unwrap();
        write!(script, "{BOOT}\n{code}").unwrap();
        let mut input = tempfile::NamedTempFile::new_in(self.dir.path()).unwrap();
        input.write_all(rig.to_string().as_bytes()).unwrap();
        let output = Command::new("php")
            .arg(script.path())
            .arg(input.path())
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "php failed: {}{printed}",
            String::from_utf8_lossy(&output.stderr)
        );
        printed
    }

    /// Revokes the application password the desk was given.
    pub fn revoke_app_password(&self) {
        self.php(
            "WP_Application_Passwords::delete_application_password( $rig['user_id'], $rig['uuid'] );",
            json!({ "user_id": self.user_id, "uuid": self.app_password_uuid }),
        );
    }

    /// The desk's settings for this site, into `config`.
    pub fn configure(&self, config: &mut oped::config::Config, category: Option<&str>) {
        let mut variables = vec![
            ("OPED_WORDPRESS_URL", self.base_url.clone()),
            ("OPED_WORDPRESS_USER", USER.to_string()),
            ("OPED_WORDPRESS_APP_PASSWORD", self.app_password.clone()),
        ];
        if let Some(category) = category {
            variables.push(("OPED_WORDPRESS_CATEGORY", category.to_string()));
        }
        let read = oped::config::Config::from_lookup(|name| {
            variables
                .iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| value.clone())
        })
        .unwrap();
        config.wordpress = read.wordpress;
    }

    /// Calls the REST API (`path` under `/wp-json`) as the desk's user
    /// (`password`: another application password, `None` for the desk's).
    pub fn rest(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        password: Option<&str>,
    ) -> (u16, Value) {
        let url = format!("{}/wp-json{path}", self.base_url);
        let mut request = self
            .http
            .request(method.parse().unwrap(), url)
            .basic_auth(USER, Some(password.unwrap_or(&self.app_password)));
        if let Some(body) = body {
            request = request.json(&body);
        }
        match request.send() {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.json().unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }

    /// The desk user's posts in every state but the trash, as WordPress
    /// stores them (`context=edit`).
    pub fn posts(&self) -> Vec<Value> {
        let (status, posts) = self.rest(
            "GET",
            "/wp/v2/posts?status=publish,future,draft,pending,private&context=edit&per_page=100",
            None,
            None,
        );
        assert_eq!(status, 200, "{posts}");
        posts.as_array().unwrap().clone()
    }

    /// How many posts the site has in any state but the trash, counted
    /// inside WordPress (no password needed).
    pub fn post_count(&self) -> usize {
        self.php(
            "echo count( get_posts( array( 'post_status' => 'any', 'numberposts' => -1 ) ) );",
            json!({}),
        )
        .trim()
        .parse()
        .unwrap()
    }

    /// A page as a reader gets it: no login.
    pub fn fetch_public(&self, url: &str) -> (u16, String) {
        let response = self.http.get(url).send().unwrap();
        (response.status().as_u16(), response.text().unwrap())
    }
}

impl Drop for WordPress {
    fn drop(&mut self) {
        if let Some(server) = &mut self.server {
            let group = server.id() as i32;
            // SAFETY: signals the process group this rig made (php -S and
            // the workers it forked), by its id.
            unsafe {
                libc::kill(-group, libc::SIGTERM);
            }
            let _ = server.wait();
        }
        let database = &self.database;
        if let Err(err) = mysql(&[
            &format!("DROP DATABASE IF EXISTS `{database}`"),
            &format!("DROP USER IF EXISTS '{database}'@'127.0.0.1'"),
        ]) {
            eprintln!("cannot drop the WordPress database {database}: {err}");
        }
    }
}
