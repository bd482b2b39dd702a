<#
.SYNOPSIS
    Construye el instalador de Windows desde una copia limpia del repositorio.

.DESCRIPTION
    1. Crea (o reutiliza) el entorno virtual build\venv-windows con Python 3.11 o posterior.
    2. Instala el proyecto y PyInstaller en ese entorno (pip install .).
    3. Construye dist\coordinacion\ con installer\coordinacion.spec (coordinacion.exe con ventana,
       coordinacion-cli.exe de consola para los subcomandos) y lo prueba: --version, init, export
       y --self-test o el subcomando report cuando existen.
    4. Compila installer\windows\coordinacion.iss con Inno Setup 6.3 o posterior (ISCC.exe):
       dist\instalador\CoordinacionEstatal-<versión>-instalador.exe

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1 -Python "py -3.12" -Iscc "D:\Inno Setup 6\ISCC.exe"
#>
param(
    # Command that starts the Python used to create the venv ("py -3.11", "python", a full path).
    [string]$Python = "",
    # Path to ISCC.exe; found on PATH or in the usual install folders when omitted.
    [string]$Iscc = "",
    # Only build and test dist\coordinacion (no Inno Setup needed).
    [switch]$SkipInstaller,
    # Start from a new virtual environment.
    [switch]$Clean
)

$ErrorActionPreference = "Stop"
$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $Root
$Started = Get-Date

function Invoke-Checked {
    # Run a native command and stop if it fails (PowerShell does not do it for exe exit codes).
    param([string]$What, [string]$Exe, [string[]]$Arguments)
    $ErrorActionPreference = "Continue"  # Windows PowerShell 5.1 turns a native program's stderr into errors
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$What falló (código de salida $LASTEXITCODE)" }
}

function Split-Command([string]$Command) {
    $parts = $Command.Trim() -split "\s+"
    return @{ Exe = $parts[0]; Args = @($parts | Select-Object -Skip 1) }
}

# 1. Virtual environment
if (-not $Python) {
    if (Get-Command py -ErrorAction SilentlyContinue) { $Python = "py -3" } else { $Python = "python" }
}
$Venv = Join-Path $Root "build\venv-windows"
$Py = Join-Path $Venv "Scripts\python.exe"
if ($Clean -and (Test-Path $Venv)) { Remove-Item -Recurse -Force $Venv }
if (-not (Test-Path $Py)) {
    $cmd = Split-Command $Python
    Write-Host "Creando el entorno virtual $Venv con: $Python"
    Invoke-Checked "python -m venv" $cmd.Exe ($cmd.Args + @("-m", "venv", $Venv))
}
Invoke-Checked "la versión de Python" $Py @("-c", "import sys; assert sys.version_info >= (3, 11), 'Se necesita Python 3.11 o posterior'")

# 2. The project and PyInstaller
Invoke-Checked "pip install" $Py @("-m", "pip", "install", "--disable-pip-version-check", "--upgrade", "pip")
Invoke-Checked "pip install ." $Py @("-m", "pip", "install", "--disable-pip-version-check", ".", "pyinstaller>=6.10,<7")

$Version = (Select-String -Path (Join-Path $Root "gui\__init__.py") -Pattern '^__version__ = "(.+)"').Matches[0].Groups[1].Value
Write-Host "Coordinación Estatal $Version"

# 3. PyInstaller bundle
$Dist = Join-Path $Root "dist\coordinacion"
if (Test-Path $Dist) { Remove-Item -Recurse -Force $Dist }
if (Test-Path "build\pyinstaller") { Remove-Item -Recurse -Force "build\pyinstaller" }
$t0 = Get-Date
Invoke-Checked "PyInstaller" $Py @("-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
    "--distpath", "dist", "--workpath", "build\pyinstaller", "installer\coordinacion.spec")
$bundleSeconds = [int]((Get-Date) - $t0).TotalSeconds
$bundleMB = [math]::Round((Get-ChildItem $Dist -Recurse -File | Measure-Object Length -Sum).Sum / 1MB)
Write-Host "Paquete: $Dist ($bundleMB MB, $bundleSeconds s)"

# Smoke test of the bundle, against a temporary database and data folder.
$Cli = Join-Path $Dist "coordinacion-cli.exe"
$Tmp = Join-Path ([IO.Path]::GetTempPath()) ("coordinacion-prueba-" + [guid]::NewGuid().ToString("N"))
New-Item -ItemType Directory $Tmp | Out-Null
$env:COORDINACION_DATA_DIR = Join-Path $Tmp "datos"
$Db = Join-Path $Tmp "base.sqlite3"
try {
    # Piped output is in the ANSI code page; compare without the accent.
    $out = & $Cli --version
    if ($LASTEXITCODE -ne 0 -or "$out" -notmatch ("^Coordinaci.n Estatal " + [regex]::Escape($Version) + "$")) {
        throw "--version devolvió «$out»"
    }
    Invoke-Checked "init" $Cli @("--db", $Db, "init", "--state", "BC")
    Invoke-Checked "establishments list" $Cli @("--db", $Db, "establishments", "list")
    Invoke-Checked "template" $Cli @("--db", $Db, "template", "establishments", "--out", (Join-Path $Tmp "plantilla.xlsx"))
    Invoke-Checked "export" $Cli @("--db", $Db, "export", "establishments", "--out", (Join-Path $Tmp "exportado.xlsx"))
    & $Cli report --help *> $null
    if ($LASTEXITCODE -eq 0) {
        $pdf = Join-Path $Tmp "reporte.pdf"
        Invoke-Checked "report state" $Cli @("--db", $Db, "report", "state", "--out", $pdf)
        $head = [Text.Encoding]::ASCII.GetString([IO.File]::ReadAllBytes($pdf), 0, 4)
        if ($head -ne "%PDF") { throw "el reporte no es un PDF" }
    }
    $env:QT_QPA_PLATFORM = "offscreen"
    $ErrorActionPreference = "Continue"
    $selfTest = & $Cli --db $Db --self-test 2>&1 | ForEach-Object { "$_" }
    $rc = $LASTEXITCODE
    $ErrorActionPreference = "Stop"
    Remove-Item Env:QT_QPA_PLATFORM
    if ($rc -eq 2 -and "$selfTest" -match "self-test") {
        Write-Host "omitido: --self-test (la aplicación todavía no lo tiene)"
    } elseif ($rc -ne 0) {
        throw "--self-test falló (código $rc): $selfTest"
    } else {
        $selfTest | ForEach-Object { Write-Host "   $_" }
    }
    Write-Host "Prueba de humo correcta"
} finally {
    Remove-Item Env:COORDINACION_DATA_DIR
    Remove-Item -Recurse -Force $Tmp -ErrorAction SilentlyContinue
}

# 4. Inno Setup
if ($SkipInstaller) { return }
if (-not $Iscc) {
    $candidates = @()
    $found = Get-Command iscc -ErrorAction SilentlyContinue
    if ($found) { $candidates += $found.Source }
    foreach ($base in @(${env:ProgramFiles(x86)}, $env:ProgramFiles, (Join-Path $env:LOCALAPPDATA "Programs"))) {
        if ($base) { $candidates += (Join-Path $base "Inno Setup 6\ISCC.exe") }
    }
    $Iscc = $candidates | Where-Object { Test-Path $_ } | Select-Object -First 1
}
if (-not $Iscc) {
    throw "No se encontró ISCC.exe. Instale Inno Setup 6.3 o posterior (winget install JRSoftware.InnoSetup) o indique -Iscc RUTA."
}
Invoke-Checked "Inno Setup" $Iscc @("/Q", "/DAppVersion=$Version", "installer\windows\coordinacion.iss")
$Setup = Join-Path $Root "dist\instalador\CoordinacionEstatal-$Version-instalador.exe"
$setupMB = [math]::Round((Get-Item $Setup).Length / 1MB)
$total = [int]((Get-Date) - $Started).TotalSeconds
Write-Host "Instalador: $Setup ($setupMB MB); tiempo total $total s"
