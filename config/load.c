/*
 * load.c: cfg_load and cfg_load_string: files, directories, and the
 * all-or-nothing hand-over of the result.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static int ctx_init(struct cfg_ctx *x, struct cfg_errors *errs)
{
	memset(x, 0, sizeof(*x));
	x->errs = errs;
	x->errs_before = errs->n;
	x->cur = CFG_NONE;
	x->cfg = calloc(1, sizeof(*x->cfg));
	if (!x->cfg)
		return -ENOMEM;
	x->cfg->otpd.cgroup = CFG_CGROUP_AUTO;
	x->cfg->otpd.shutdown_grace_ms = 3000;
	x->cfg->otpd.log_lines = 1000;
	return 0;
}

void cfg_ctx_release(struct cfg_ctx *x)
{
	for (size_t i = 0; i < x->n_pn; i++) {
		cfg_node_release(&x->pn[i].node);
		cfg_seen_free(&x->pn[i].seen);
	}
	free(x->pn);
	cfg_index_free(&x->pn_by_name);
	cfg_seen_free(&x->otpd_seen);
	x->pn = NULL;
	x->n_pn = x->cap_pn = 0;
}

/* Record `name` as read, with its text; returns the stored copy of the
 * name (NULL: ENOMEM). */
static const char *file_add(struct cfg_ctx *x, const char *name, const char *text, size_t len)
{
	struct otp_config *c = x->cfg;
	char **v = realloc(c->files, (c->n_files + 1) * sizeof(*v));

	if (!v)
		return NULL;
	c->files = v;
	if (!(v = realloc(c->texts, (c->n_files + 1) * sizeof(*v))))
		return NULL;
	c->texts = v;
	c->files[c->n_files] = strdup(name);
	c->texts[c->n_files] = strndup(text ? text : "", text ? len : 0);
	if (!c->files[c->n_files] || !c->texts[c->n_files]) {
		free(c->files[c->n_files]);
		free(c->texts[c->n_files]);
		return NULL;
	}
	return c->files[c->n_files++];
}

/* Resolve, check, and hand the config over, or free it. */
static int ctx_finish(struct cfg_ctx *x, int r, struct otp_config **ret_cfg)
{
	if (r == 0 && x->oom)
		r = -ENOMEM;
	if (r == 0)
		r = cfg_ctx_finish(x);
	if (r == 0 && x->errs->n > x->errs_before)
		r = -EINVAL;
	cfg_ctx_release(x);
	if (r < 0) {
		if (r == -ENOMEM)
			cfg_err(x, NULL, 0, NULL, NULL, "out of memory");
		cfg_free(x->cfg);
		return r;
	}
	*ret_cfg = x->cfg;
	return 0;
}

int cfg_load_string(const char *text, const char *name, struct otp_config **ret_cfg,
		    struct cfg_errors *errs)
{
	struct cfg_ctx x;
	const char *file;

	if (!text || !ret_cfg || !errs)
		return -EINVAL;
	if (ctx_init(&x, errs) < 0)
		return -ENOMEM;
	file = file_add(&x, name ? name : "<string>", text, strlen(text));
	if (file)
		cfg_parse_text(&x, file, text, strlen(text));
	return ctx_finish(&x, file ? 0 : -ENOMEM, ret_cfg);
}

int cfg_load_texts(char *const *names, char *const *texts, size_t n, char *const *argv,
		   struct otp_config **ret_cfg, struct cfg_errors *errs)
{
	struct cfg_ctx x;
	int r = 0;

	if (!ret_cfg || !errs || (n && (!names || !texts)))
		return -EINVAL;
	if (ctx_init(&x, errs) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *file = file_add(&x, names[i], texts[i], strlen(texts[i]));

		if (!file)
			r = -ENOMEM;
		else
			cfg_parse_text(&x, file, texts[i], strlen(texts[i]));
	}
	if (r == 0 && argv)
		r = cfg_main_add(&x, argv);
	return ctx_finish(&x, r, ret_cfg);
}

/* Parse one file; errors reading it are reported, and returned. */
static int file_load(struct cfg_ctx *x, const char *path)
{
	const char *file;
	char *text = NULL;
	size_t len = 0;
	int r;

	r = cfg_read_file(path, CFG_MAX_FILE, &text, &len);
	if (r < 0) {
		if (!file_add(x, path, NULL, 0))
			return -ENOMEM;
		cfg_err(x, path, 0, NULL, NULL, "%s", strerror(-r));
		return r;
	}
	if (!(file = file_add(x, path, text, len))) {
		free(text);
		return -ENOMEM;
	}
	if (memchr(text, '\0', len))
		cfg_err(x, path, 0, NULL, NULL, "contains a NUL byte, not a text file");
	else
		cfg_parse_text(x, file, text, len);
	free(text);
	return 0;
}

static bool is_conf_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.conf names in `dir`, sorted by strcmp.  -errno. */
static int dir_list(const char *dir, char ***ret_v, int *ret_n)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char **v = NULL;
	int n = 0, r = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while (r == 0 && (errno = 0, de = readdir(d)))
		if (is_conf_name(de->d_name))
			r = cfg_strv_push(&v, &n, de->d_name);
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	if (r < 0) {
		cfg_strv_free(v);
		return r;
	}
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), name_cmp);
	*ret_v = v;
	*ret_n = n;
	return 0;
}

/*
 * Every regular *.conf file of `dir`, in lexical order; how many, or
 * -errno (reported, except a missing directory when `optional`).
 */
static int dir_load(struct cfg_ctx *x, const char *dir, bool optional)
{
	size_t dl = strlen(dir);
	bool slash = dl > 0 && dir[dl - 1] == '/';
	char **names = NULL, *path;
	int n = 0, r, loaded = 0;

	r = dir_list(dir, &names, &n);
	if (r == -ENOMEM)
		x->oom = true;
	else if (r < 0 && !(optional && (r == -ENOENT || r == -ENOTDIR)))
		cfg_err(x, dir, 0, NULL, NULL, "%s", strerror(-r));
	if (r < 0)
		return r;
	for (int i = 0; i < n && r >= 0; i++) {
		struct stat st;

		if (asprintf(&path, "%s%s%s", dir, slash ? "" : "/", names[i]) < 0) {
			r = -ENOMEM;
			break;
		}
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			r = file_load(x, path);
			loaded++;
		}
		free(path);
	}
	cfg_strv_free(names);
	return r < 0 ? r : loaded;
}

/* A file or a directory. */
static int path_load(struct cfg_ctx *x, const char *path)
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return file_load(x, path);
	r = dir_load(x, path, false);
	if (r == 0) {
		cfg_err(x, path, 0, NULL, NULL, "no *.conf files in this directory");
		return -ENOENT;
	}
	return r < 0 ? r : 0;
}

/*
 * The default file, then the default directory.  Either may be missing,
 * not both.
 */
static int default_load(struct cfg_ctx *x)
{
	struct stat st;
	bool have_main = stat(CFG_DEFAULT_PATH, &st) == 0;
	int r = 0, n;

	if (have_main)
		r = file_load(x, CFG_DEFAULT_PATH);
	if (r < 0)
		return r;
	n = dir_load(x, CFG_DEFAULT_DIR, true);
	if (n == -ENOENT || n == -ENOTDIR)
		n = 0;
	if (n < 0)
		return n;
	if (!have_main && n == 0) {
		cfg_err(x, CFG_DEFAULT_PATH, 0, NULL, NULL,
			"%s, and no *.conf files in " CFG_DEFAULT_DIR, strerror(ENOENT));
		return -ENOENT;
	}
	return 0;
}

int cfg_load(const char *path, struct otp_config **ret_cfg, struct cfg_errors *errs)
{
	struct cfg_ctx x;
	int r;

	if (!ret_cfg || !errs)
		return -EINVAL;
	if (ctx_init(&x, errs) < 0)
		return -ENOMEM;
	r = path ? path_load(&x, path) : default_load(&x);
	return ctx_finish(&x, r, ret_cfg);
}

int cfg_load_main(const char *path, char *const *argv, struct otp_config **ret_cfg,
		  struct cfg_errors *errs)
{
	struct cfg_ctx x;
	int r;

	if (!argv)
		return cfg_load(path, ret_cfg, errs);
	if (!ret_cfg || !errs)
		return -EINVAL;
	if (ctx_init(&x, errs) < 0)
		return -ENOMEM;
	r = path ? path_load(&x, path) : 0;
	if (r == 0)
		r = cfg_main_add(&x, argv);
	return ctx_finish(&x, r, ret_cfg);
}

void cfg_free(struct otp_config *c)
{
	if (!c)
		return;
	free(c->otpd.run_dir);
	free(c->otpd.socket);
	free(c->otpd.control_group);
	free(c->otpd.cgroup_base);
	free(c->otpd.events_worker);
	for (size_t i = 0; i < c->n_nodes; i++)
		cfg_node_release(&c->nodes[i]);
	free(c->nodes);
	cfg_index_free(&c->by_name);
	for (size_t i = 0; i < c->n_files; i++) {
		free(c->files[i]);
		free(c->texts[i]);
	}
	free(c->files);
	free(c->texts);
	free(c);
}
